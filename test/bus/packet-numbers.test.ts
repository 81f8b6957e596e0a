import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { expect, it } from "vitest";

const CHILD = fileURLToPath(new URL("./packet-numbers-child.ts", import.meta.url));

it("the broker turns off mqtt-packet's number cache and packets still carry their numbers", () => {
  const r = spawnSync(process.execPath, ["--import", "tsx", CHILD], { encoding: "utf8", timeout: 15_000 });
  expect(r.stderr).toBe("");
  expect(JSON.parse(r.stdout)).toEqual({ topicOk: true, payload: "hello", cached: 0, cacheNumbers: false });
});
