/**
 * `llmagentos browse opcua`: walk a server's address space from Objects (or a given root), bounded
 * by depth and node count, skipping the standard Server object, and describe every variable a
 * profile could map: node id, path, built-in data type, engineering unit and writability. The
 * draft profile made from it is opcua-browse-draft.ts.
 */
import os from "node:os";
import { join } from "node:path";
import {
  AttributeIds,
  BrowseDirection,
  MessageSecurityMode,
  NodeClass,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  UserTokenType,
  type ClientSession,
  type ReferenceDescription,
  type UserIdentityInfo,
} from "node-opcua";
import { LosError, isLosError } from "../../core/errors.js";
import type { OpcuaDataType } from "../../config/opcua-profile-schema.js";
import { APPLICATION_NAME, ensureOwnCertificate } from "../opcua/opcua-client-setup.js";
import { translateOpcuaError } from "../opcua/opcua-errors.js";
import { pkiRoot } from "../opcua/opcua-pki.js";

export interface BrowseOptions {
  endpoint: string;
  /** levels below the root (default 6) */
  depth?: number;
  /** stop after this many nodes (default 5000) */
  maxNodes?: number;
  /** default i=85 (Objects) */
  root?: string;
  securityMode?: "None" | "Sign" | "SignAndEncrypt";
  user?: { username: string; password: string };
  /** certificate store's data dir (default a per-user temp dir) */
  dataDir?: string;
  timeoutMs?: number;
  onProgress?: (nodes: number) => void;
}

export interface BrowsedNode {
  nodeId: string;
  browseName: string;
  nodeClass: "Object" | "Variable";
  /** browse names from below the root, joined with "." */
  path: string;
  depth: number;
  children: BrowsedNode[];
  /** variables: the built-in type a profile can use, or the server's type name when none fits */
  dataType?: OpcuaDataType | string;
  supported?: boolean;
  writable?: boolean;
  unit?: string;
  description?: string;
}

export interface BrowseResult {
  endpoint: string;
  root: string;
  tree: BrowsedNode[];
  variables: BrowsedNode[];
  nodes: number;
  truncated: boolean;
}

const BUILTIN: Record<number, OpcuaDataType> = {
  1: "Boolean", 2: "SByte", 3: "Byte", 4: "Int16", 5: "UInt16", 6: "Int32", 7: "UInt32", 8: "Int64", 9: "UInt64", 10: "Float", 11: "Double", 12: "String",
};
const OTHER: Record<number, string> = { 13: "DateTime", 14: "Guid", 15: "ByteString", 17: "NodeId", 19: "StatusCode", 21: "LocalizedText", 22: "Structure", 24: "BaseDataType", 26: "Number", 27: "Integer", 28: "UInteger" };
const HAS_PROPERTY = "ns=0;i=46";
const SERVER_OBJECT = "ns=0;i=2253";
const CURRENT_WRITE = 0x02;
const CHUNK = 200;

export async function browseOpcua(o: BrowseOptions): Promise<BrowseResult> {
  const depth = o.depth ?? 6;
  const maxNodes = o.maxNodes ?? 5000;
  const root = o.root ?? "i=85";
  const mode = o.securityMode ?? "None";
  const pki = pkiRoot(o.dataDir ?? join(os.tmpdir(), `llmagentos-opcua-${os.userInfo().uid}`));
  const manager = new OPCUACertificateManager({ rootFolder: pki, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  await manager.initialize();
  const client = OPCUAClient.create({
    applicationName: APPLICATION_NAME,
    endpointMustExist: false,
    securityMode: MessageSecurityMode[mode],
    securityPolicy: mode === "None" ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
    clientCertificateManager: manager,
    connectionStrategy: { maxRetry: 0 },
    defaultTransactionTimeout: Math.max(o.timeoutMs ?? 10_000, 5000),
  });
  const identity: UserIdentityInfo = o.user ? { type: UserTokenType.UserName, userName: o.user.username, password: o.user.password } : { type: UserTokenType.Anonymous };
  let session: ClientSession | undefined;
  try {
    await ensureOwnCertificate(client, pki, { debug() {}, info() {}, warn() {}, error() {}, child() { return this; } });
    try {
      await client.connect(o.endpoint);
    } catch (err) {
      const e = translateOpcuaError(err, { endpoint: o.endpoint });
      if (e.code !== "LOS_E_DEVICE_DISCONNECTED" && e.code !== "LOS_E_DEVICE_TIMEOUT") throw e;
      throw new LosError("LOS_E_DISCOVERY_UNREACHABLE", `no OPC-UA server answered at ${o.endpoint} (${e.message})`, { cause: err, details: { endpoint: o.endpoint } });
    }
    session = await client.createSession(identity);
    return await walk(session, { ...o, depth, maxNodes, root });
  } catch (err) {
    throw isLosError(err) ? err : translateOpcuaError(err, { endpoint: o.endpoint, fallback: "LOS_E_DEVICE_STATUS" });
  } finally {
    await session?.close().catch(() => {});
    await client.disconnect().catch(() => {});
    await manager.dispose().catch(() => {});
  }
}

async function walk(session: ClientSession, o: BrowseOptions & { depth: number; maxNodes: number; root: string }): Promise<BrowseResult> {
  const tree: BrowsedNode[] = [];
  const variables: BrowsedNode[] = [];
  let frontier: { nodeId: string; path: string; children: BrowsedNode[]; variable?: BrowsedNode }[] = [{ nodeId: o.root, path: "", children: tree }];
  const seen = new Set<string>([o.root]);
  let nodes = 0;
  let truncated = false;
  for (let level = 1; level <= o.depth && frontier.length > 0 && !truncated; level++) {
    const next: typeof frontier = [];
    for (let at = 0; at < frontier.length && !truncated; at += CHUNK) {
      const part = frontier.slice(at, at + CHUNK);
      const results = await session.browse(
        part.map((p) => ({ nodeId: p.nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: "HierarchicalReferences", includeSubtypes: true, nodeClassMask: NodeClass.Object | NodeClass.Variable, resultMask: 63 })),
      );
      const found: BrowsedNode[] = [];
      const probes: UnitProbe[] = [];
      results.forEach((r, k) => {
        const parent = part[k]!;
        for (const ref of r.references ?? []) {
          const id = ref.nodeId.toString();
          // the standard information model (namespace 0: Server, Aliases…) is the same on every server
          if (id === SERVER_OBJECT || ref.nodeId.namespace === 0 || seen.has(id)) continue;
          const property = ref.referenceTypeId.toString() === HAS_PROPERTY;
          if (parent.variable && property && ref.browseName.name === "EngineeringUnits") probes.push({ propertyId: id, owner: parent.variable });
          if (parent.variable || property) continue; // properties and a variable's parts are not points
          if (nodes >= o.maxNodes) {
            truncated = true;
            break;
          }
          seen.add(id);
          nodes++;
          const node = describe(ref, parent.path, level);
          parent.children.push(node);
          if (node.nodeClass === "Variable") {
            variables.push(node);
            found.push(node);
          }
          next.push({ nodeId: id, path: node.path, children: node.children, ...(node.nodeClass === "Variable" ? { variable: node } : {}) });
        }
      });
      await readAttributes(session, found);
      await readUnits(session, probes);
      o.onProgress?.(nodes);
    }
    frontier = next;
  }
  // a variable's properties sit one level below it: look for units of the last level too
  const last = frontier.filter((f) => f.variable);
  if (last.length > 0) {
    const probes: UnitProbe[] = [];
    for (let at = 0; at < last.length; at += CHUNK) {
      const part = last.slice(at, at + CHUNK);
      const results = await session.browse(part.map((p) => ({ nodeId: p.nodeId, browseDirection: BrowseDirection.Forward, referenceTypeId: HAS_PROPERTY, includeSubtypes: false, resultMask: 63 })));
      results.forEach((r, k) => {
        const ref = (r.references ?? []).find((x) => x.browseName.name === "EngineeringUnits");
        if (ref) probes.push({ propertyId: ref.nodeId.toString(), owner: part[k]!.variable! });
      });
    }
    await readUnits(session, probes);
  }
  return { endpoint: o.endpoint, root: o.root, tree, variables, nodes, truncated };
}

function describe(ref: ReferenceDescription, parentPath: string, depth: number): BrowsedNode {
  const name = ref.browseName.name ?? ref.nodeId.toString();
  return {
    nodeId: ref.nodeId.toString(),
    browseName: name,
    nodeClass: ref.nodeClass === NodeClass.Variable ? "Variable" : "Object",
    path: parentPath ? `${parentPath}.${name}` : name,
    depth,
    children: [],
  };
}

interface UnitProbe {
  /** the EngineeringUnits property */
  propertyId: string;
  owner: BrowsedNode;
}

/** Data type, access level and description of variables. */
async function readAttributes(session: ClientSession, vars: readonly BrowsedNode[]): Promise<void> {
  if (vars.length === 0) return;
  const attrs = [AttributeIds.DataType, AttributeIds.UserAccessLevel, AttributeIds.Description];
  const values = await session.read(vars.flatMap((v) => attrs.map((attributeId) => ({ nodeId: v.nodeId, attributeId }))));
  vars.forEach((v, k) => {
    const [dt, access, description] = [values[k * 3]!, values[k * 3 + 1]!, values[k * 3 + 2]!];
    const typeId = dt.value.value as { namespace?: number; value?: unknown } | null;
    const n = typeId && typeId.namespace === 0 && typeof typeId.value === "number" ? typeId.value : undefined;
    v.dataType = n !== undefined ? (BUILTIN[n] ?? OTHER[n] ?? `i=${n}`) : String(typeId ?? "unknown");
    v.supported = n !== undefined && BUILTIN[n] !== undefined;
    v.writable = access.statusCode.isGood() && typeof access.value.value === "number" && (access.value.value & CURRENT_WRITE) !== 0;
    const text = (description.value.value as { text?: string } | null)?.text;
    if (text) v.description = text;
  });
}

/** The display name of each EngineeringUnits property becomes its variable's unit. */
async function readUnits(session: ClientSession, probes: readonly UnitProbe[]): Promise<void> {
  if (probes.length === 0) return;
  const values = await session.read(probes.map((p) => ({ nodeId: p.propertyId, attributeId: AttributeIds.Value })));
  probes.forEach((p, k) => {
    const eu = values[k]!.value.value as { displayName?: { text?: string } } | null;
    if (eu?.displayName?.text) p.owner.unit = eu.displayName.text;
  });
}
