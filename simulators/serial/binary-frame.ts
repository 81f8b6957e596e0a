/**
 * The binary sensor's frame, 15 bytes:
 *
 * | offset | size | content |
 * | --- | --- | --- |
 * | 0 | 2 | sync 0xAA 0x55 |
 * | 2 | 1 | LEN: payload length (10) |
 * | 3 | 2 | temperature x100, int16 big-endian (degC) |
 * | 5 | 2 | relative humidity x100, uint16 big-endian (%) |
 * | 7 | 2 | pressure x10, uint16 big-endian (hPa) |
 * | 9 | 4 | frame counter, uint32 big-endian (wraps) |
 * | 13 | 2 | CRC-16/MODBUS of LEN and payload (offsets 2..12), low byte first |
 */
import { crc16Modbus } from "../modbus/crc16.js";
import type { EnvReading } from "../models/env-sensor.js";
import type { SerialMessage } from "./serial-message.js";

export const FRAME_SYNC = [0xaa, 0x55] as const;
export const FRAME_PAYLOAD_LENGTH = 10;
export const FRAME_LENGTH = 2 + 1 + FRAME_PAYLOAD_LENGTH + 2;

export interface SensorFrame {
  temperatureC: number;
  humidityRh: number;
  pressureHpa: number;
  counter: number;
}

export function encodeSensorFrame(r: EnvReading, counter: number): SerialMessage {
  const frame = Buffer.alloc(FRAME_LENGTH);
  frame[0] = FRAME_SYNC[0];
  frame[1] = FRAME_SYNC[1];
  frame[2] = FRAME_PAYLOAD_LENGTH;
  frame.writeInt16BE(clamp(Math.round(r.temperatureC * 100), -32768, 32767), 3);
  frame.writeUInt16BE(clamp(Math.round(r.humidityRh * 100), 0, 65535), 5);
  frame.writeUInt16BE(clamp(Math.round(r.pressureHpa * 10), 0, 65535), 7);
  frame.writeUInt32BE(counter >>> 0, 9);
  const crc = crc16Modbus(frame, 2, FRAME_LENGTH - 2);
  frame.writeUInt16LE(crc, FRAME_LENGTH - 2);
  return {
    bytes: frame,
    corrupt: () => {
      const bad = Buffer.from(frame);
      bad.writeUInt16LE(crc ^ 0xffff, FRAME_LENGTH - 2);
      return bad;
    },
  };
}

/** Decode one whole frame; undefined when the sync, length or CRC is wrong. */
export function decodeSensorFrame(frame: Uint8Array): SensorFrame | undefined {
  if (frame.length !== FRAME_LENGTH || frame[0] !== FRAME_SYNC[0] || frame[1] !== FRAME_SYNC[1] || frame[2] !== FRAME_PAYLOAD_LENGTH) return undefined;
  const buf = Buffer.from(frame.buffer, frame.byteOffset, frame.length);
  if (crc16Modbus(buf, 2, FRAME_LENGTH - 2) !== buf.readUInt16LE(FRAME_LENGTH - 2)) return undefined;
  return {
    temperatureC: buf.readInt16BE(3) / 100,
    humidityRh: buf.readUInt16BE(5) / 100,
    pressureHpa: buf.readUInt16BE(7) / 10,
    counter: buf.readUInt32BE(9),
  };
}

/**
 * Frames from a byte stream: hunts for the sync, checks length and CRC, and on a bad frame skips
 * one byte and hunts again (so noise and cut frames cost only themselves).
 */
export class SensorFrameParser {
  #buf = Buffer.alloc(0);
  /** Candidate frames rejected (bad length or CRC). */
  badFrames = 0;
  /** Bytes skipped while hunting for a sync. */
  skippedBytes = 0;

  push(chunk: Uint8Array): SensorFrame[] {
    this.#buf = Buffer.concat([this.#buf, chunk]);
    const frames: SensorFrame[] = [];
    let i = 0;
    while (this.#buf.length - i >= 2) {
      if (this.#buf[i] !== FRAME_SYNC[0] || this.#buf[i + 1] !== FRAME_SYNC[1]) {
        i++;
        this.skippedBytes++;
        continue;
      }
      if (this.#buf.length - i < FRAME_LENGTH) break;
      const frame = decodeSensorFrame(this.#buf.subarray(i, i + FRAME_LENGTH));
      if (frame) {
        frames.push(frame);
        i += FRAME_LENGTH;
      } else {
        this.badFrames++;
        i++;
      }
    }
    this.#buf = this.#buf.subarray(i);
    return frames;
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, x));
}
