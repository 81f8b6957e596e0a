import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);

describe("examples/quickstart.ts (the seed example)", () => {
  it("runs both agents' actions in the order the task gives, then exits", async () => {
    const { stdout } = await run(process.execPath, ["--import", "tsx", "examples/quickstart.ts"], { cwd: process.cwd() });
    const lines = stdout.split("\n").filter((l) => l.includes(" did "));
    expect(lines).toEqual(['agent1 did A -> {"measured":21.5,"unit":"degC"}', "agent2 did B"]);
    const logged = stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { msg: string });
    expect(logged.map((l) => l.msg)).toEqual(["agent1 performs A", "agent2 performs B", "task done"]);
  });
});
