/**
 * NMEA 0183 sentence encoding for the simulated GPS and weather station: `$` + address + fields +
 * `*hh` + CR LF, and the field formats NMEA uses for angles, times and dates.
 */
import { nmeaChecksum } from "../../src/devices/serial/nmea-checksum.js";
import type { SerialMessage } from "./serial-message.js";

export type NmeaField = string | number | undefined;

/** One sentence, e.g. nmeaSentence("GPGGA", [...]) -> "$GPGGA,...*hh\r\n", with a corrupter for faults. */
export function nmeaSentence(address: string, fields: readonly NmeaField[]): SerialMessage {
  const body = [address, ...fields.map((f) => (f === undefined ? "" : String(f)))].join(",");
  const sum = nmeaChecksum(body);
  const line = (checksum: number) => Buffer.from(`$${body}*${hex2(checksum)}\r\n`, "latin1");
  return { bytes: line(sum), corrupt: () => line(sum ^ 0xff) };
}

/** Latitude as ddmm.mmmm and its hemisphere. */
export function nmeaLatitude(deg: number): [string, "N" | "S"] {
  return [degreesMinutes(Math.abs(deg), 2), deg < 0 ? "S" : "N"];
}

/** Longitude as dddmm.mmmm and its hemisphere. */
export function nmeaLongitude(deg: number): [string, "E" | "W"] {
  return [degreesMinutes(Math.abs(deg), 3), deg < 0 ? "W" : "E"];
}

/** UTC time of day as hhmmss.ss. */
export function nmeaTime(epochMs: number): string {
  const d = new Date(epochMs);
  const cs = Math.floor(d.getUTCMilliseconds() / 10);
  return `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}.${pad(cs, 2)}`;
}

/** UTC date as ddmmyy. */
export function nmeaDate(epochMs: number): string {
  const d = new Date(epochMs);
  return `${pad(d.getUTCDate(), 2)}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCFullYear() % 100, 2)}`;
}

/** A number with a fixed count of decimals. */
export function fixed(value: number, decimals: number): string {
  return value.toFixed(decimals);
}

function degreesMinutes(abs: number, degreeDigits: number): string {
  let whole = Math.floor(abs);
  let minutes = Number(((abs - whole) * 60).toFixed(4));
  if (minutes >= 60) {
    whole += 1;
    minutes -= 60;
  }
  return `${pad(whole, degreeDigits)}${minutes.toFixed(4).padStart(7, "0")}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}

function hex2(n: number): string {
  return n.toString(16).toUpperCase().padStart(2, "0");
}
