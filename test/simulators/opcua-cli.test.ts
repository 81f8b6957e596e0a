/**
 * `llmagentos sim opcua` run alone in a child process: it prints its endpoint and certificate
 * thumbprint, a real client reads the tank through it, Ctrl-C stops it; bad arguments are usage errors.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import { StatusCodes, UserTokenType } from "node-opcua";
import { parseUsers } from "../../src/cli/commands/sim-opcua.js";
import { closeSession, createTestClient, openSession, readValue, tempDir } from "./opcua-helpers.js";

const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const pki = tempDir("opcua-cli-");
const children: ChildProcessWithoutNullStreams[] = [];

afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  pki.remove();
});

function run(args: string[]) {
  const proc = spawn(process.execPath, ["bin/llmagentos.mjs", "sim", "opcua", ...args], { cwd: REPO_ROOT, env: { ...process.env, NO_COLOR: "1" } });
  children.push(proc);
  let out = "";
  let err = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  proc.stderr.on("data", (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on("close", (code) => resolve(code)));
  const output = (pattern: RegExp) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const m = pattern.exec(out);
        if (m) {
          proc.stdout.off("data", check);
          resolve(m);
        }
      };
      proc.stdout.on("data", check);
      check();
      void exited.then((code) => reject(new Error(`exited ${code} before printing ${pattern}; stdout: ${out} stderr: ${err}`)));
    });
  return { proc, exited, output, stderr: () => err };
}

describe("llmagentos sim opcua", () => {
  it("prints the endpoint and thumbprint, serves the tank to a client with a password, stops on SIGINT", async () => {
    const child = run(["--port", "0", "--pki-dir", `${pki.dir}/server`, "--user", "op:pa:ss", "--no-anonymous"]);
    const [, url] = await child.output(/on (opc\.tcp:\/\/127\.0\.0\.1:\d+);/);
    const [, thumbprint] = await child.output(/thumbprint ([0-9a-f]{40}) \(SHA-1\); PKI in (\S+)/);
    expect(thumbprint).toMatch(/^[0-9a-f]{40}$/);
    const c = await createTestClient({ pkiDir: `${pki.dir}/client` });
    const session = await openSession(c.client, url!, { type: UserTokenType.UserName, userName: "op", password: "pa:ss" });
    expect((await readValue(session, "ns=1;s=Tank.Level")).statusCode).toBe(StatusCodes.Good);
    const [endpoint] = await c.client.getEndpoints();
    expect(createHash("sha1").update(endpoint!.serverCertificate!).digest("hex")).toBe(thumbprint);
    await closeSession(c.client, session);
    child.proc.kill("SIGINT");
    expect(await child.exited).toBe(0);
  });

  it("refuses bad arguments with exit code 2", async () => {
    for (const args of [["--model", "boiler"], ["--port", "70000"], ["--no-anonymous"], ["--user", "nopassword"], ["--signals", "0"]]) {
      const child = run(args);
      expect(await child.exited).toBe(2);
      expect(child.stderr()).toContain("LOS_E_USAGE");
    }
  });

  it("parses name:password pairs", () => {
    expect(parseUsers(["a:1", "b:x:y"])).toEqual({ a: "1", b: "x:y" });
    expect(() => parseUsers(["a:1", "a:2"])).toThrow(/twice/);
    expect(() => parseUsers([":pw"])).toThrow(/name:password/);
  });
});
