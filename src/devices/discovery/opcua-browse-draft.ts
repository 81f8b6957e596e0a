/**
 * A browse result as text: the tree for people, and a draft OPC-UA profile (YAML) with one point
 * per variable of a supported type. Writable points get `envelope: FILL_IN`, which the schema
 * refuses: the draft does not load until a person has written real limits in, so no command
 * reaches a machine with limits nobody chose.
 */
import type { BrowseResult, BrowsedNode } from "./opcua-browse.js";

const UNIT_ALIASES: Record<string, string> = { "°C": "degC", "°F": "degF", "℃": "degC", "m³/h": "m3/h", "m3/hr": "m3/h" };

/** The tree, one node per line, indented by depth. */
export function formatTree(result: BrowseResult): string {
  const lines: string[] = [];
  const visit = (n: BrowsedNode, indent: string) => {
    const detail =
      n.nodeClass === "Variable"
        ? `  ${n.dataType ?? "?"}${n.unit ? ` [${n.unit}]` : ""}${n.writable ? " writable" : ""}${n.supported === false ? " (type not mappable)" : ""}`
        : "";
    lines.push(`${indent}${n.browseName}  ${n.nodeId}${detail}`);
    for (const c of n.children) visit(c, `${indent}  `);
  };
  for (const n of result.tree) visit(n, "");
  if (result.truncated) lines.push(`… stopped after ${result.nodes} nodes (raise --max-nodes or browse from a deeper --root)`);
  return lines.join("\n");
}

function pointName(path: string, used: Set<string>): string {
  const base =
    path
      .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
      .replace(/[^A-Za-z0-9]+/g, "_")
      .replace(/^_+|_+$/g, "")
      .toLowerCase()
      .slice(0, 60) || "point";
  let name = base;
  for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
  used.add(name);
  return name;
}

const q = (s: string) => JSON.stringify(s);

/** The draft profile, as YAML text with comments. */
export function draftOpcuaProfileYaml(result: BrowseResult, date: string): string {
  const lines = [
    `# Draft OPC-UA profile of ${result.endpoint}, written by llmagentos browse opcua on ${date}.`,
    "# Before use: rename the points, delete what you do not need, check the units, set vendor and model,",
    "# and replace every `envelope: FILL_IN` of a writable point with the safe limits of the machine.",
    "# The draft does not load until then; after editing, save it as devices/<vendor>/<model>.yaml and",
    "# check it with `llmagentos validate` (the catalogue test checks units and envelopes too).",
    "vendor: unknown",
    "model: opcua-device",
    "protocol: opcua",
    `source: ${q(`llmagentos browse opcua ${result.endpoint} on ${date}`)}`,
    "defaults:",
    "  publishingMs: 1000",
    "  samplingMs: 500",
    "points:",
  ];
  const used = new Set<string>();
  let count = 0;
  for (const v of result.variables) {
    if (!v.supported) {
      lines.push(`  # ${v.path} (${v.nodeId}) is a ${v.dataType}: not mappable to a point`);
      continue;
    }
    count++;
    const numeric = v.dataType !== "Boolean" && v.dataType !== "String";
    const fields = [`name: ${pointName(v.path, used)}`, `nodeId: ${q(v.nodeId)}`, `type: ${v.dataType}`];
    if (numeric) fields.push(`unit: ${q(v.unit ? (UNIT_ALIASES[v.unit] ?? v.unit) : "")}`);
    if (v.description) fields.push(`description: ${q(v.description)}`);
    if (!v.writable) {
      lines.push(`  - { ${fields.join(", ")} }${numeric && !v.unit ? "  # no EngineeringUnits on the server: set the unit" : ""}`);
      continue;
    }
    lines.push(`  - name: ${fields[0]!.slice(6)}`);
    for (const f of fields.slice(1)) lines.push(`    ${f}`);
    lines.push("    writable: true");
    const example = numeric ? "{ min: 0, max: 100, maxRatePerSec: 5, safeValue: 0 }" : v.dataType === "Boolean" ? "{ safeValue: false }" : '{ safeValue: "" }';
    lines.push(`    # REQUIRED before use: replace FILL_IN with this command's safety envelope, e.g. ${example}`);
    lines.push("    envelope: FILL_IN");
  }
  if (count === 0) lines.push("  # no variable of a mappable type was found: browse deeper (--depth) or from another --root");
  return `${lines.join("\n")}\n`;
}
