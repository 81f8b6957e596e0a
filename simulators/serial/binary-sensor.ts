/** A sensor that sends one binary frame (see binary-frame.ts) per period. */
import { EnvSensorModel, type EnvSensorOptions } from "../models/env-sensor.js";
import { encodeSensorFrame } from "./binary-frame.js";
import type { PeriodicDevice, SerialMessage } from "./serial-message.js";

export class BinarySensorDevice implements PeriodicDevice {
  readonly kind = "binary";
  readonly model: EnvSensorModel;
  #counter = 0;

  constructor(options: EnvSensorOptions = {}) {
    this.model = new EnvSensorModel(options);
  }

  step(dtMs: number): void {
    this.model.step(dtMs);
  }

  emit(): SerialMessage[] {
    const frame = encodeSensorFrame(this.model.read(), this.#counter);
    this.#counter = (this.#counter + 1) >>> 0;
    return [frame];
  }

  snapshot(): Record<string, unknown> {
    return { ...this.model.read(), counter: this.#counter };
  }
}
