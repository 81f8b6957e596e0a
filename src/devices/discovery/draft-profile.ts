/**
 * A scan result as draft profiles: one YAML document per unit found, one point per readable address
 * (uint16 registers, bools for coils and discrete inputs) with the raw value seen as a comment. The
 * draft loads as a valid profile; the user renames, retypes, scales, adds units and envelopes, and
 * saves it as devices/<vendor>/<model>.yaml.
 */
import type { RegisterKind } from "../../config/profile-schema.js";
import { describeTarget, SCAN_KINDS, type ModbusScanResult, type UnitFinding } from "./modbus-scan.js";

const PREFIX: Record<RegisterKind, string> = { holding: "hr", input: "ir", coil: "coil", discrete: "di" };

const LABEL: Record<RegisterKind, string> = {
  holding: "holding registers (FC3)",
  input: "input registers (FC4)",
  coil: "coils (FC1)",
  discrete: "discrete inputs (FC2)",
};

function rawComment(v: number | boolean): string {
  return typeof v === "boolean" ? `raw ${v}` : `raw ${v} (0x${v.toString(16).toUpperCase().padStart(4, "0")})`;
}

/** The draft profile of one unit, as YAML text. */
export function draftProfileYaml(unit: UnitFinding, target: string, date: string): string {
  const lines = [
    `# Draft profile of Modbus unit ${unit.unitId} at ${target}, written by llmagentos scan modbus on ${date}.`,
    "# One point per readable address: rename them, set types (int16, float32 …), scale, units and",
    "# envelopes, delete what you do not need, then save as devices/<vendor>/<model>.yaml.",
    "vendor: unknown",
    `model: unit-${unit.unitId}`,
    "protocol: modbus",
    `source: ${JSON.stringify(`llmagentos scan modbus ${target} on ${date}`)}`,
  ];
  let largest = 0;
  const points: string[] = [];
  for (const kind of SCAN_KINDS) {
    const probe = unit.kinds[kind];
    if (!probe) continue;
    largest = Math.max(largest, kind === "holding" || kind === "input" ? probe.largestBlock : 0);
    for (const run of probe.runs) {
      points.push(`  # ${LABEL[kind]} ${run.start}-${run.start + run.values.length - 1}`);
      run.values.forEach((v, i) => {
        const address = run.start + i;
        const fields = kind === "coil" || kind === "discrete" ? "" : ', type: uint16, unit: ""';
        points.push(`  - { name: ${PREFIX[kind]}_${address}, register: ${kind}, address: ${address}${fields} }  # ${rawComment(v)}`);
      });
    }
  }
  // Merged reads must not span addresses the device refused.
  lines.push("defaults:", "  maxGap: 0");
  if (largest > 0) lines.push(`  # maxBlock: ${largest}   the longest read the device answered in the scan; set it if longer reads fail`);
  if (points.length === 0) {
    lines.push("# no address answered a read in the probed range; add points by hand", "points: []");
  } else {
    lines.push("points:", ...points);
  }
  return lines.join("\n") + "\n";
}

/** Every unit's draft, as one multi-document YAML stream. */
export function draftProfilesYaml(result: ModbusScanResult, date: string): string {
  const target = describeTarget(result.target);
  return result.units.map((u) => draftProfileYaml(u, target, date)).join("---\n");
}
