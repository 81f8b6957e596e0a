/**
 * A TCP-only Modbus driver never loads modbus-serial nor serialport (about 10 MB of a gateway's
 * memory); an RTU connection loads them when it is opened. Checked in a fresh Node process, which
 * lists the CommonJS modules it loaded (both libraries are CommonJS, so they show in require.cache).
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const src = (p: string): string => pathToFileURL(path.join(root, p)).href;

const SCRIPT = `
import { createRequire } from "node:module";
import { ModbusDriver } from "${src("src/devices/modbus/modbus-driver.ts")}";
import { startModbusTcpServer } from "${src("simulators/modbus/tcp-server.ts")}";
import { RegisterBank } from "${src("simulators/modbus/register-bank.ts")}";

const require = createRequire(import.meta.url);
const loaded = () =>
  Object.keys(require.cache)
    .map((k) => /node_modules\\/(modbus-serial|serialport|@serialport\\/[^/]+)\\//.exec(k)?.[1])
    .filter((m, i, all) => m && all.indexOf(m) === i)
    .sort();

const bank = new RegisterBank();
bank.setWord("holding", 0, 42);
const server = await startModbusTcpServer({ banks: new Map([[1, bank]]) });
const tcp = new ModbusDriver({ connection: { type: "modbus-tcp", host: "127.0.0.1", port: server.port, unitId: 1 } });
await tcp.open();
const [r] = await tcp.read(1, [{ kind: "holding", address: 0, count: 1 }]);
const tcpOnly = loaded();
const rtu = new ModbusDriver({ connection: { type: "modbus-rtu", path: "/nonexistent/los-tty", unitId: 1, reconnectMinMs: 60000 } });
await rtu.open();
const afterRtu = loaded();
await rtu.close();
await tcp.close();
await server.close();
console.log(JSON.stringify({ read: r.ok ? r.data : r.error.code, tcpOnly, afterRtu }));
`;

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

function run(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["--import", "tsx", file], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe("modbus-serial is loaded only for RTU", () => {
  it("a TCP-only driver reads without loading modbus-serial or serialport; opening an RTU driver loads them", async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "los-lazy-rtu-"));
    const file = path.join(dir, "probe.mjs");
    await writeFile(file, SCRIPT);
    const out = JSON.parse((await run(file)).trim().split("\n").pop()!) as { read: unknown; tcpOnly: string[]; afterRtu: string[] };
    expect(out.read).toEqual([42]);
    expect(out.tcpOnly).toEqual([]);
    expect(out.afterRtu).toContain("modbus-serial");
    expect(out.afterRtu).toContain("serialport");
  });
});
