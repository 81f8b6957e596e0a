/**
 * The CPU-share rule for an isolated agent: its worker thread, or its processes where no cgroup
 * caps their CPU. Node cannot cap a thread's CPU and nice 10 only weighs it, so a thread that spins
 * (with or without heartbeats) still takes a core of a two-core box in turns with the gateway and
 * the other agents. Every window the host reads the agent's CPU time from /proc; an agent over its
 * share in OVER_WINDOWS windows in a row (a burst, such as a first decision that compiles code, is
 * not a hog) is moved to the idle scheduling class for the rest of its life: it keeps whatever CPU
 * nobody else wants and no longer delays anyone (docs/isolation.md).
 */
import type { Clock, TimerHandle } from "../../core/clock.js";
import type { ThreadYield } from "./thread-cpu.js";

/** windows in a row over the share before the agent yields */
export const OVER_WINDOWS = 2;
/** how often the agent's CPU time is read */
export const CPU_WINDOW_MS = 500;

export interface CpuOver {
  /** CPU used over the last window, percent of one core */
  percent: number;
  sharePercent: number;
  /** what the kernel let us do: the idle class, nice 19, or nothing */
  how: ThreadYield;
}

export interface CpuShareOptions {
  /** the agent's CPU time so far, ms (undefined once it is gone) */
  cpuMs(): number | undefined;
  /** move the agent to the idle class (what the kernel allowed) */
  yieldNow(): Promise<ThreadYield>;
  sharePercent: number;
  windowMs: number;
  clock: Clock;
  onOver(over: CpuOver): void;
}

export class CpuShareWatch {
  #o: CpuShareOptions;
  #timer: TimerHandle | undefined;
  #last: { cpuMs: number; at: number } | undefined;
  #yielded = false;
  #stopped = false;
  #overInRow = 0;

  constructor(o: CpuShareOptions) {
    this.#o = o;
  }

  /** true once the thread has been handed to the idle class (or nice 19) */
  get yielded(): boolean {
    return this.#yielded;
  }

  /** `yieldAtOnce`: the agent's previous run went over its share, so this one starts yielded */
  start(yieldAtOnce = false): void {
    if (yieldAtOnce) void this.#yield();
    else this.#arm();
  }

  stop(): void {
    this.#stopped = true;
    if (this.#timer) this.#o.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(): void {
    const cpuMs = this.#o.cpuMs();
    if (this.#stopped || cpuMs === undefined) return;
    this.#last = { cpuMs, at: this.#o.clock.monotonic() };
    this.#timer = this.#o.clock.setTimeout(() => this.#check(), this.#o.windowMs);
  }

  #check(): void {
    this.#timer = undefined;
    const last = this.#last;
    const cpuMs = this.#o.cpuMs();
    if (this.#stopped || !last || cpuMs === undefined) return;
    const elapsed = this.#o.clock.monotonic() - last.at;
    const percent = elapsed > 0 ? (100 * (cpuMs - last.cpuMs)) / elapsed : 0;
    this.#overInRow = percent > this.#o.sharePercent ? this.#overInRow + 1 : 0;
    if (this.#overInRow < OVER_WINDOWS) return this.#arm();
    void this.#yield().then((how) => {
      if (!this.#stopped) this.#o.onOver({ percent: Math.round(percent), sharePercent: this.#o.sharePercent, how });
    });
  }

  async #yield(): Promise<ThreadYield> {
    this.#yielded = true;
    return this.#o.yieldNow();
  }
}
