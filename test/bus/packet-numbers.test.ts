import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("./packet-numbers-child.ts", import.meta.url));

interface ChildReport {
  wsLoaded: boolean;
  topicOk: boolean;
  payload: string;
  cached: number;
  cacheNumbers: boolean;
}
let report: ChildReport;

beforeAll(() => {
  // a fresh process: nothing else has written a packet or loaded ws there
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD], { encoding: "utf8", timeout: 15_000 });
  expect(r.stderr).toBe("");
  report = JSON.parse(r.stdout) as ChildReport;
});

it("the broker turns off mqtt-packet's number cache and packets still carry their numbers", () => {
  expect(report).toMatchObject({ topicOk: true, payload: "hello", cached: 0, cacheNumbers: false });
});

it("a broker with TCP listeners only does not load ws", () => {
  expect(report.wsLoaded).toBe(false);
});
