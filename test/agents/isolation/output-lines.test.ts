import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../../src/core/clock.js";
import { pipeLines } from "../../../src/agents/isolation/output-lines.js";

function setup() {
  const clock = new ManualClock();
  const stream = new PassThrough();
  const out: (string | number)[] = [];
  const counts = pipeLines(stream, clock, (line, dropped) => void out.push(line ?? dropped), { maxLineChars: 10, linesPerWindow: 3, windowMs: 1000 });
  const ended = new Promise((r) => stream.on("end", r));
  return { clock, stream, out, counts, ended };
}

describe("pipeLines", () => {
  it("splits chunks into lines, keeps a partial line until its end, cuts long lines", async () => {
    const { stream, out, ended } = setup();
    stream.write("one\ntw");
    stream.write("o\n");
    stream.write("a line that is far too long\n");
    stream.end("tail");
    await ended;
    // the fourth line is over this window's budget of 3: dropped, and counted when the stream ends
    expect(out).toEqual(["one", "two", "a line tha… (cut)", 1]);
  });

  it("drops lines past the window's budget and reports how many when the next window opens", async () => {
    const { clock, stream, out, counts, ended } = setup();
    stream.write("1\n2\n3\n4\n5\n");
    await new Promise((r) => setImmediate(r));
    clock.advance(1000);
    stream.write("6\n");
    stream.end();
    await ended;
    expect(out).toEqual(["1", "2", "3", 2, "6"]);
    expect(counts).toEqual({ lines: 4, dropped: 2 });
  });

  it("a line without an end never grows past one line's bound", async () => {
    const { stream, out, ended } = setup();
    stream.write("x".repeat(25));
    stream.end();
    await ended;
    expect(out).toEqual(["xxxxxxxxxx… (cut)"]);
  });
});
