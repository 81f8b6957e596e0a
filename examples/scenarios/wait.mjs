// Small helpers the scenario agents share: wait on the gateway's clock (aborted with the run) and
// wait until a reading says something, checking every `everyMs`, for at most `timeoutMs`.
export function pause(ctx, ms, signal = ctx.signal) {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      ctx.clock.clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = ctx.clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

export async function until(ctx, what, condition, { timeoutMs, everyMs = 10, signal = ctx.signal, onIdle }) {
  const deadline = ctx.clock.monotonic() + timeoutMs;
  for (;;) {
    const value = condition();
    if (value) return value;
    if (ctx.clock.monotonic() > deadline) throw new Error(`${ctx.agentId}: gave up waiting for ${what} after ${timeoutMs} ms`);
    await onIdle?.();
    await pause(ctx, everyMs, signal);
  }
}
