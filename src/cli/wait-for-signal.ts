/**
 * Wait for SIGINT/SIGTERM (or a duration), so long-running commands can shut down cleanly.
 */
export function waitForStop(durationMs?: number): Promise<string> {
  return new Promise((resolve) => {
    const done = (why: string) => {
      process.off("SIGINT", onInt);
      process.off("SIGTERM", onTerm);
      if (timer) clearTimeout(timer);
      resolve(why);
    };
    const onInt = () => done("SIGINT");
    const onTerm = () => done("SIGTERM");
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    const timer = durationMs !== undefined ? setTimeout(() => done("duration"), durationMs) : undefined;
  });
}
