/**
 * Tasks waiting for allocation: the highest priority first (oldest first within one priority), at
 * most `concurrency` allocations at once. A task queued twice runs once.
 */
export interface QueuedTask {
  id: string;
  priority: number;
  createdAt: number;
}

export class TaskQueue {
  #waiting: QueuedTask[] = [];
  #running = new Set<string>();
  #concurrency: number;
  #work: (id: string) => Promise<void>;
  #onError: (id: string, err: unknown) => void;
  #closed = false;
  #idle = new Set<() => void>();
  #again = new Map<string, QueuedTask>();

  constructor(concurrency: number, work: (id: string) => Promise<void>, onError: (id: string, err: unknown) => void) {
    this.#concurrency = Math.max(1, concurrency);
    this.#work = work;
    this.#onError = onError;
  }

  push(t: QueuedTask): void {
    if (this.#closed || this.#waiting.some((w) => w.id === t.id)) return;
    if (this.#running.has(t.id)) {
      this.#again.set(t.id, t); // queued again while being allocated (its winner died at once): after this run
      return;
    }
    this.#waiting.push(t);
    this.#waiting.sort((a, b) => b.priority - a.priority || a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    // never inside the caller's turn: create() returns the pending task before anything else happens
    queueMicrotask(() => this.#pump());
  }

  /** true while the task waits or is being allocated */
  has(id: string): boolean {
    return this.#running.has(id) || this.#waiting.some((w) => w.id === id);
  }

  remove(id: string): void {
    this.#again.delete(id);
    this.#waiting = this.#waiting.filter((w) => w.id !== id);
  }

  /** stop taking work; resolves when the allocations under way have ended */
  close(): Promise<void> {
    this.#closed = true;
    this.#waiting = [];
    if (this.#running.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.add(resolve));
  }

  #pump(): void {
    while (!this.#closed && this.#running.size < this.#concurrency && this.#waiting.length > 0) {
      const next = this.#waiting.shift()!;
      this.#running.add(next.id);
      void this.#work(next.id)
        .catch((err: unknown) => this.#onError(next.id, err))
        .finally(() => {
          this.#running.delete(next.id);
          const again = this.#again.get(next.id);
          this.#again.delete(next.id);
          if (again) this.push(again);
          if (this.#running.size === 0) for (const fn of this.#idle) fn();
          this.#pump();
        });
    }
  }
}
