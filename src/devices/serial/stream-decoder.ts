/**
 * Bytes of a streaming serial port (lines, NMEA or binary framing) to records, once per port for
 * every device on it. Keeps the counters a device's stats show and reports each problem with its
 * code: LOS_E_DEVICE_CHECKSUM for a sentence whose *hh does not match, LOS_E_DEVICE_BAD_FRAME for
 * an overlong line, a malformed sentence, a CSV line with the wrong column count, a line that is
 * not JSON, or a binary frame with an impossible length or cut short. Bad input is dropped; the good
 * records around it still come through. Pure, no I/O.
 */
import type { ErrorCode } from "../../core/errors.js";
import type { SerialFraming } from "../../config/serial-profile-schema.js";
import { BinaryFramer } from "./binary-framer.js";
import { LineSplitter } from "./line-splitter.js";
import { parseNmeaSentence } from "./nmea-sentence.js";
import type { SerialRecord } from "./serial-record.js";
import { parseJsonLine, splitCsv } from "./text-parsers.js";

export interface SerialCounters {
  /** text lines or NMEA sentences accepted */
  linesParsed: number;
  /** binary frames accepted */
  framesParsed: number;
  checksumFailures: number;
  badFrames: number;
}

export type ProblemSink = (code: ErrorCode, message: string) => void;

export function newCounters(): SerialCounters {
  return { linesParsed: 0, framesParsed: 0, checksumFailures: 0, badFrames: 0 };
}

export class StreamDecoder {
  readonly counters = newCounters();
  readonly #framing: Exclude<SerialFraming, { kind: "command" }>;
  readonly #lines: LineSplitter | undefined;
  readonly #frames: BinaryFramer | undefined;
  readonly #problem: ProblemSink;
  #overlong = 0;
  #badLength = 0;
  #badChecksum = 0;

  constructor(framing: Exclude<SerialFraming, { kind: "command" }>, onProblem: ProblemSink) {
    this.#framing = framing;
    this.#problem = onProblem;
    if (framing.kind === "binary") {
      this.#frames = new BinaryFramer({ sync: framing.sync, lengthOffset: framing.lengthOffset, lengthBytes: framing.lengthBytes, checksum: framing.checksum, maxPayload: framing.maxPayload });
    } else {
      this.#lines = new LineSplitter({ eol: framing.kind === "lines" ? framing.eol : "\n", maxLineBytes: framing.kind === "lines" ? framing.maxLineBytes : 256 });
    }
  }

  push(chunk: Buffer): SerialRecord[] {
    const out: SerialRecord[] = [];
    if (this.#frames) {
      const f = this.#frames;
      for (const payload of f.push(chunk)) out.push({ kind: "binary", payload });
      this.counters.framesParsed = f.frames;
      if (f.badLength !== this.#badLength) {
        this.counters.badFrames += f.badLength - this.#badLength;
        this.#badLength = f.badLength;
        this.#problem("LOS_E_DEVICE_BAD_FRAME", "a binary frame with an impossible length or cut short was skipped");
      }
      if (f.badChecksum !== this.#badChecksum) {
        this.counters.checksumFailures += f.badChecksum - this.#badChecksum;
        this.#badChecksum = f.badChecksum;
        this.#problem("LOS_E_DEVICE_CHECKSUM", "a binary frame failed its checksum and was skipped");
      }
      return out;
    }
    const lines = this.#lines!;
    for (const line of lines.push(chunk)) this.#line(line, out);
    if (lines.overlong !== this.#overlong) {
      this.counters.badFrames += lines.overlong - this.#overlong;
      this.#overlong = lines.overlong;
      this.#problem("LOS_E_DEVICE_BAD_FRAME", "a line longer than maxLineBytes was dropped");
    }
    return out;
  }

  /** The port closed: a partial line or frame will never be finished. */
  reset(): void {
    this.#lines?.reset();
    this.#frames?.reset();
  }

  #line(line: string, out: SerialRecord[]): void {
    if (line.trim() === "") return;
    const f = this.#framing;
    if (f.kind === "nmea") {
      const r = parseNmeaSentence(line, f.requireChecksum !== false);
      if (r.ok) {
        this.counters.linesParsed++;
        out.push({ kind: "nmea", sentence: r.sentence });
      } else if (r.reason === "checksum") {
        this.counters.checksumFailures++;
        this.#problem("LOS_E_DEVICE_CHECKSUM", `NMEA sentence failed its checksum: ${line.slice(0, 80)}`);
      } else this.#bad(`not an NMEA sentence: ${line.slice(0, 80)}`);
      return;
    }
    if (f.kind !== "lines") return;
    if (f.format === "csv") {
      const columns = splitCsv(line, f.delimiter ?? ",");
      if (f.columns !== undefined && columns.length !== f.columns) return this.#bad(`csv line with ${columns.length} columns, expected ${f.columns}`);
      this.counters.linesParsed++;
      out.push({ kind: "csv", columns });
    } else if (f.format === "json") {
      const doc = parseJsonLine(line);
      if (doc === undefined) return this.#bad(`not a JSON line: ${line.slice(0, 80)}`);
      this.counters.linesParsed++;
      out.push({ kind: "json", doc });
    } else {
      this.counters.linesParsed++;
      out.push({ kind: "line", text: line });
    }
  }

  #bad(message: string): void {
    this.counters.badFrames++;
    this.#problem("LOS_E_DEVICE_BAD_FRAME", message);
  }
}
