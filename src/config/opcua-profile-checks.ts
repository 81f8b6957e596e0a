/** What the OPC-UA profile schema cannot say: node ids that do not parse or are mapped twice. */
import type { OpcuaPointDef } from "./opcua-profile-schema.js";
import type { SchemaProblem } from "./validate.js";

// ns=<index>; or nsu=<uri>; then i=<uint> | s=<text> | g=<guid> | b=<base64>
const NODE_ID = /^(?:(?:ns=\d+|nsu=[^;]+);)?(?:i=\d+|s=.+|g=[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}|b=[A-Za-z0-9+/=]+)$/;

export function checkOpcuaPoints(points: readonly OpcuaPointDef[]): SchemaProblem[] {
  const problems: SchemaProblem[] = [];
  const seen = new Map<string, string>();
  points.forEach((p, i) => {
    const at = (key: string, message: string) => problems.push({ path: ["points", i, key], message });
    if (!NODE_ID.test(p.nodeId)) at("nodeId", `"${p.nodeId}" is not a node id (expected ns=<n>;s=<name>, ns=<n>;i=<number>, or nsu=<uri>;…)`);
    const other = seen.get(p.nodeId);
    if (other !== undefined) at("nodeId", `${p.nodeId} is also mapped by point "${other}"`);
    seen.set(p.nodeId, p.name);
    if (p.mode === "poll" && p.samplingMs !== undefined) at("samplingMs", "samplingMs applies to subscribed points; a polled point uses pollMs");
    if (p.mode !== "poll" && p.pollMs !== undefined) at("pollMs", "pollMs applies to polled points (mode: poll)");
  });
  return problems;
}
