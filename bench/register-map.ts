/**
 * The register map of the 100-device throughput bench: 20 numeric points per device (14 input
 * registers, 6 holding registers), every one drifting fast enough that it changes between two
 * polls, so with deadband 0 every point is reported on every cycle. bench/profiles/register-sim.yaml
 * is the gateway's side of the same map; `checkProfileMatches` keeps the two in step.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import type { RegisterPointSpec } from "../simulators/models/register-model.js";

export const REGISTER_PROFILE = fileURLToPath(new URL("./profiles/register-sim.yaml", import.meta.url));

type Spec = Required<Pick<RegisterPointSpec, "register" | "address" | "type">>;

const LAYOUT: { register: "input" | "holding"; type: "int16" | "uint16" | "uint32" | "float32" }[] = [
  ...(["int16", "uint16", "float32", "int16", "uint32", "float32", "uint16"] as const).map((type) => ({ register: "input" as const, type })),
  ...(["int16", "uint16", "float32", "int16", "uint32", "float32", "uint16"] as const).map((type) => ({ register: "input" as const, type })),
  ...(["uint16", "int16", "float32", "uint16", "int16"] as const).map((type) => ({ register: "holding" as const, type })),
  { register: "holding", type: "uint16" },
];

function buildSpecs(): Spec[] {
  const next = { input: 0, holding: 0 };
  return LAYOUT.map(({ register, type }) => {
    const address = next[register];
    next[register] += type === "uint32" || type === "float32" ? 2 : 1;
    return { register, address, type };
  });
}

export const BENCH_POINT_SPECS: readonly Spec[] = buildSpecs();

/** The simulator side: fast drift on every point (raw units per second), big-endian words. */
export function simulatorPoints(): RegisterPointSpec[] {
  return BENCH_POINT_SPECS.map((s) => ({ ...s, wordOrder: "big", drift: 400 }));
}

/** Throws if bench/profiles/register-sim.yaml no longer describes BENCH_POINT_SPECS. */
export function checkProfileMatches(): void {
  const profile = parse(readFileSync(REGISTER_PROFILE, "utf8")) as { points: { name: string; register: string; address: number; type?: string }[] };
  const got = profile.points.map((p) => `${p.register}@${p.address}:${p.type ?? "uint16"}`).join(",");
  const want = BENCH_POINT_SPECS.map((p) => `${p.register}@${p.address}:${p.type}`).join(",");
  if (got !== want) throw new Error(`bench/profiles/register-sim.yaml does not match bench/register-map.ts:\n  profile ${got}\n  map     ${want}`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const [i, s] of BENCH_POINT_SPECS.entries()) {
    console.log(`  - { name: p${String(i).padStart(2, "0")}, register: ${s.register}, address: ${s.address}, type: ${s.type}, wordOrder: big, deadband: 0 }`);
  }
}
