/**
 * A sensor that prints one reading per period as a text line: CSV `21.5,45.2,1013.2`
 * (temperature degC, relative humidity %, pressure hPa) or JSON `{"t":21.5,"h":45.2,"p":1013.2}`.
 */
import { EnvSensorModel, type EnvReading, type EnvSensorOptions } from "../models/env-sensor.js";
import { lineMessage, type PeriodicDevice, type SerialMessage } from "./serial-message.js";

export type LineFormat = "csv" | "json";

export class LineSensorDevice implements PeriodicDevice {
  readonly kind: LineFormat;
  readonly model: EnvSensorModel;

  constructor(format: LineFormat, options: EnvSensorOptions = {}) {
    this.kind = format;
    this.model = new EnvSensorModel(options);
  }

  step(dtMs: number): void {
    this.model.step(dtMs);
  }

  emit(): SerialMessage[] {
    return [lineMessage(formatReading(this.model.read(), this.kind))];
  }

  snapshot(): Record<string, unknown> {
    return { ...this.model.read() };
  }
}

/** One reading as a CSV or JSON line (without the CR LF), one decimal per value. */
export function formatReading(r: EnvReading, format: LineFormat): string {
  const t = round1(r.temperatureC);
  const h = round1(r.humidityRh);
  const p = round1(r.pressureHpa);
  return format === "csv" ? `${t.toFixed(1)},${h.toFixed(1)},${p.toFixed(1)}` : JSON.stringify({ t, h, p });
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
