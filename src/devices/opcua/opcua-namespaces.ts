/**
 * Node ids written with a namespace URI (`nsu=http://www.siemens.com/simatic-s7-opcua;s=…`) stay
 * right when a server renumbers its namespaces; the index is looked up in the server's
 * NamespaceArray once per session and the id rewritten as `ns=<index>;…` for the wire.
 */
import { LosError } from "../../core/errors.js";

const NSU = /^nsu=([^;]+);(.+)$/;

export function usesNamespaceUri(nodeId: string): boolean {
  return NSU.test(nodeId);
}

/** `nodeId` with its namespace URI replaced by the session's index; LOS_E_DEVICE_NODE_UNKNOWN if the server lacks it. */
export function withNamespaceIndex(nodeId: string, namespaceArray: readonly string[]): string {
  const m = NSU.exec(nodeId);
  if (!m) return nodeId;
  const index = namespaceArray.indexOf(m[1]!);
  if (index < 0) {
    throw new LosError("LOS_E_DEVICE_NODE_UNKNOWN", `${nodeId}: the server has no namespace ${m[1]} (it has ${namespaceArray.join(", ")})`, {
      details: { nodeId, namespaceUri: m[1] },
    });
  }
  return `ns=${index};${m[2]}`;
}
