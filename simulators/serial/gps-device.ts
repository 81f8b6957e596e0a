/**
 * The simulated GPS receiver on the wire: each period it sends GGA (fix), GSA (satellites and
 * DOP), RMC (recommended minimum) and VTG (track and speed), talker GP, NMEA 0183 v2.3 fields.
 */
import { GpsModel, type GpsFix, type GpsOptions } from "../models/gps.js";
import { fixed, nmeaDate, nmeaLatitude, nmeaLongitude, nmeaSentence, nmeaTime } from "./nmea-encoder.js";
import type { PeriodicDevice, SerialMessage } from "./serial-message.js";

const KNOTS_PER_MPS = 3600 / 1852;

export class GpsDevice implements PeriodicDevice {
  readonly kind = "gps";
  readonly model: GpsModel;

  constructor(options: GpsOptions = {}) {
    this.model = new GpsModel(options);
  }

  step(dtMs: number): void {
    this.model.step(dtMs);
  }

  emit(nowMs: number): SerialMessage[] {
    return gpsSentences(this.model.read(), nowMs);
  }

  snapshot(): Record<string, unknown> {
    return this.model.snapshot();
  }
}

/** GGA, GSA, RMC and VTG for one fix at UTC `nowMs`. Without a fix, position fields are empty. */
export function gpsSentences(f: GpsFix, nowMs: number, talker = "GP"): SerialMessage[] {
  const time = nmeaTime(nowMs);
  const has = f.fix !== 0;
  const [lat, ns] = has ? nmeaLatitude(f.latitude) : [undefined, undefined];
  const [lon, ew] = has ? nmeaLongitude(f.longitude) : [undefined, undefined];
  const knots = f.speedMps * KNOTS_PER_MPS;
  const course = has ? fixed(f.courseDeg, 1) : undefined;
  const prns = Array.from({ length: 12 }, (_, i) => (f.satellites[i] === undefined ? undefined : String(f.satellites[i]).padStart(2, "0")));
  return [
    nmeaSentence(`${talker}GGA`, [
      time,
      lat,
      ns,
      lon,
      ew,
      f.fix,
      String(f.satellites.length).padStart(2, "0"),
      has ? fixed(f.hdop, 1) : undefined,
      has ? fixed(f.altitudeM, 1) : undefined,
      has ? "M" : undefined,
      has ? fixed(f.geoidSeparationM, 1) : undefined,
      has ? "M" : undefined,
      undefined,
      undefined,
    ]),
    nmeaSentence(`${talker}GSA`, ["A", has ? 3 : 1, ...prns, fixed(f.pdop, 1), fixed(f.hdop, 1), fixed(f.vdop, 1)]),
    nmeaSentence(`${talker}RMC`, [
      time,
      has ? "A" : "V",
      lat,
      ns,
      lon,
      ew,
      has ? fixed(knots, 1) : undefined,
      course,
      nmeaDate(nowMs),
      undefined,
      undefined,
      has ? (f.fix === 2 ? "D" : "A") : "N",
    ]),
    nmeaSentence(`${talker}VTG`, [
      course,
      "T",
      undefined,
      "M",
      has ? fixed(knots, 1) : undefined,
      "N",
      has ? fixed(f.speedMps * 3.6, 1) : undefined,
      "K",
      has ? (f.fix === 2 ? "D" : "A") : "N",
    ]),
  ];
}
