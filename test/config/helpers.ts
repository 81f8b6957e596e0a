import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { LosError } from "../../src/core/errors.js";

export const FIXTURES = resolve(dirname(fileURLToPath(import.meta.url)), "../fixtures/config");
export const PROFILES = join(FIXTURES, "profiles");
export const BAD_PROFILES = join(FIXTURES, "bad-profiles");

export function tempDir(prefix = "los-config-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function writeFile(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Run `fn`, expect a LosError and hand it back for closer checks. */
export function catchLos(fn: () => unknown): LosError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LosError);
    return err as LosError;
  }
  throw new Error("expected a LosError, nothing was thrown");
}

/** The smallest valid gateway config, as YAML lines; `devices` and `agents` are appended by callers. */
export function baseConfig(extra = ""): string {
  return [
    "site: s1",
    "gateway: g1",
    "dataDir: ./data",
    `profilesDir: ${JSON.stringify(PROFILES)}`,
    "bus:",
    "  listeners:",
    "    - kind: tcp",
    "      host: 127.0.0.1",
    "      port: 0",
    extra,
  ].join("\n");
}

/** One Modbus TCP device with the climate profile, in YAML. */
export function tcpDevice(id: string, unitId = 1, port = 1502, profile = "acme/climate"): string {
  return [
    `  - id: ${id}`,
    `    profile: ${profile}`,
    "    connection:",
    "      type: modbus-tcp",
    "      host: 127.0.0.1",
    `      port: ${port}`,
    `      unitId: ${unitId}`,
  ].join("\n");
}
