/** The heartbeat watchdog on a manual clock: armed at start or at the first heartbeat. */
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { Watchdog } from "../../src/agents/watchdog.js";

function setup(armed: boolean) {
  const clock = new ManualClock();
  const dog = new Watchdog(clock);
  const silent: string[] = [];
  dog.watch("a", 1500, 500, () => silent.push("a"), armed);
  return { clock, dog, silent };
}

const tick = (clock: ManualClock, ms: number) => {
  for (let t = 0; t < ms; t += 100) clock.advance(100);
};

describe("Watchdog", () => {
  it("an agent started here is watched from its start: silence from the first moment is a hang", () => {
    const { clock, silent } = setup(true);
    tick(clock, 1400);
    expect(silent).toEqual([]);
    tick(clock, 600);
    expect(silent).toEqual(["a"]);
  });

  it("an external agent is watched only from its first heartbeat", () => {
    const { clock, dog, silent } = setup(false);
    tick(clock, 5000);
    expect(silent).toEqual([]);
    dog.beat("a");
    tick(clock, 1000);
    dog.beat("a");
    tick(clock, 1400);
    expect(silent).toEqual([]);
    tick(clock, 600);
    expect(silent).toEqual(["a"]);
  });
});
