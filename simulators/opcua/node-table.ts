/**
 * The simulator's variables as data (`NodeSpec`) and their life in a node-opcua address space.
 *
 * The table outlives any one server: a restart builds the same nodes again into the new address
 * space, and a node removed by a fault stays removed across it. Read-only variables hold a value
 * pushed with `setValueFromSource` (so subscriptions get exception-based data changes at no
 * sampling cost); writable ones bind a getter and a setter, and the setter hands client writes to
 * the model. node-opcua checks the written Variant's data type against the variable's before the
 * setter runs, so a write of the wrong type is refused with BadTypeMismatch as a real server does.
 */
import {
  DataType,
  StatusCodes,
  Variant,
  type EUInformation,
  type Namespace,
  type StatusCode,
  type UAObject,
  type UAVariable,
} from "node-opcua";

export type OpcuaScalar = number | boolean | string;

export const OPCUA_DATA_TYPES = ["Boolean", "SByte", "Byte", "Int16", "UInt16", "Int32", "UInt32", "Float", "Double", "String"] as const;
export type OpcuaDataTypeName = (typeof OPCUA_DATA_TYPES)[number];

export interface NodeSpec {
  /** Node id inside the simulator's namespace: `s=Tank.Level` or `i=1001`. */
  id: string;
  dataType: OpcuaDataTypeName;
  description?: string;
  unit?: EUInformation;
  /** EURange of an analog item (with `unit`). */
  range?: { low: number; high: number };
  /** The current value at the source (the model). */
  read(): OpcuaScalar;
  /** Present for writable variables: apply a client write; answer its status. */
  write?(value: OpcuaScalar): StatusCode;
}

/** What the table reports to its owner (for stats). */
export interface NodeTableEvents {
  onWrite?(id: string, status: StatusCode): void;
}

interface Entry {
  spec: NodeSpec;
  /** Full node id, e.g. `ns=1;s=Tank.Level`. */
  key: string;
  variable: UAVariable | undefined;
  removed: boolean;
  status: StatusCode | undefined;
  published: OpcuaScalar | undefined;
  publishedStatus: StatusCode | undefined;
}

/** Limits of the integer types, for values that wander and for EURange defaults. */
export const INTEGER_LIMITS: Partial<Record<OpcuaDataTypeName, [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};

export class NodeTable {
  readonly #entries = new Map<string, Entry>();
  readonly #events: NodeTableEvents;
  readonly #namespaceIndex: number;
  #namespace: Namespace | undefined;
  #folders = new Map<string, UAObject>();

  constructor(specs: readonly NodeSpec[], namespaceIndex: number, events: NodeTableEvents = {}) {
    this.#namespaceIndex = namespaceIndex;
    this.#events = events;
    for (const spec of specs) {
      const key = `ns=${namespaceIndex};${spec.id}`;
      if (this.#entries.has(key)) throw new RangeError(`node id ${key} is declared twice`);
      const entry: Entry = { spec, key, variable: undefined, removed: false, status: undefined, published: undefined, publishedStatus: undefined };
      this.#entries.set(key, entry);
    }
  }

  /** Every node id served (removed ones included), as `ns=1;s=…`. */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  has(key: string): boolean {
    return this.#entries.has(key);
  }

  isRemoved(key: string): boolean {
    return this.#entry(key).removed;
  }

  /** Build every node not removed into `namespace` (a fresh server's own namespace). */
  attach(namespace: Namespace): void {
    if (namespace.index !== this.#namespaceIndex) {
      throw new RangeError(`the server's own namespace has index ${namespace.index}, expected ${this.#namespaceIndex}`);
    }
    this.#namespace = namespace;
    this.#folders = new Map();
    for (const entry of this.#entries.values()) {
      entry.published = undefined;
      entry.publishedStatus = undefined;
      if (!entry.removed) this.#build(entry);
    }
  }

  /** Forget the address space (its server is gone). */
  detach(): void {
    this.#namespace = undefined;
    this.#folders = new Map();
    for (const entry of this.#entries.values()) entry.variable = undefined;
  }

  /** Push the source values of read-only variables whose value or status changed. */
  publish(): void {
    for (const entry of this.#entries.values()) this.#publish(entry, false);
  }

  /** Serve `status` (a Bad code) with this variable's value until set back to undefined. */
  setStatus(key: string, status: StatusCode | undefined): void {
    const entry = this.#entry(key);
    entry.status = status;
    this.#publish(entry, true);
  }

  /** Take the node out of the address space (clients get BadNodeIdUnknown). */
  remove(key: string): void {
    const entry = this.#entry(key);
    if (entry.removed) return;
    entry.removed = true;
    if (entry.variable && this.#namespace) this.#namespace.addressSpace.deleteNode(entry.variable);
    entry.variable = undefined;
  }

  /** Put a removed node back. */
  restore(key: string): void {
    const entry = this.#entry(key);
    if (!entry.removed) return;
    entry.removed = false;
    entry.published = undefined;
    if (this.#namespace) this.#build(entry);
  }

  #entry(key: string): Entry {
    const entry = this.#entries.get(key);
    if (!entry) throw new RangeError(`the simulator has no node ${key}`);
    return entry;
  }

  #publish(entry: Entry, force: boolean): void {
    const variable = entry.variable;
    if (!variable || entry.spec.write) return; // writable ones answer from their getter
    const value = entry.spec.read();
    const status = entry.status ?? StatusCodes.Good;
    if (!force && value === entry.published && status === entry.publishedStatus) return;
    variable.setValueFromSource(variant(entry.spec.dataType, value), status);
    entry.published = value;
    entry.publishedStatus = status;
  }

  #folder(name: string): UAObject {
    const existing = this.#folders.get(name);
    if (existing) return existing;
    const ns = this.#namespace as Namespace;
    const folder = ns.addObject({ organizedBy: ns.addressSpace.rootFolder.objects, browseName: name, nodeId: `s=${name}` });
    this.#folders.set(name, folder);
    return folder;
  }

  #build(entry: Entry): void {
    const ns = this.#namespace as Namespace;
    const { spec } = entry;
    const { folder, browseName } = placement(spec.id);
    const parent = this.#folder(folder);
    const writable = spec.write !== undefined;
    const access = writable ? "CurrentRead | CurrentWrite" : "CurrentRead";
    const value = writable ? this.#binding(entry) : variant(spec.dataType, spec.read());
    const common = {
      componentOf: parent,
      browseName,
      nodeId: spec.id,
      description: spec.description,
      dataType: spec.dataType,
      accessLevel: access,
      userAccessLevel: access,
      // getters are sampled; pushed values notify on change, so sampling interval 0 is allowed
      minimumSamplingInterval: writable ? 100 : 0,
    } as const;
    let variable: UAVariable;
    if (spec.unit && spec.range && spec.dataType !== "Boolean" && spec.dataType !== "String") {
      variable = ns.addAnalogDataItem({ ...common, engineeringUnitsRange: spec.range, engineeringUnits: spec.unit, value });
    } else {
      variable = ns.addVariable({ ...common, value });
      if (spec.unit) {
        ns.addVariable({
          propertyOf: variable,
          browseName: { name: "EngineeringUnits", namespaceIndex: 0 },
          typeDefinition: "PropertyType",
          dataType: "EUInformation",
          value: { dataType: DataType.ExtensionObject, value: spec.unit },
        });
      }
    }
    entry.variable = variable;
    if (!writable) {
      entry.published = spec.read();
      entry.publishedStatus = StatusCodes.Good;
      if (entry.status) this.#publish(entry, true);
    }
  }

  #binding(entry: Entry) {
    const { spec } = entry;
    return {
      get: (): Variant | StatusCode => (entry.status ? entry.status : variant(spec.dataType, spec.read())),
      set: (v: Variant): StatusCode => {
        const status = (spec.write as NonNullable<NodeSpec["write"]>)(v.value as OpcuaScalar);
        this.#events.onWrite?.(entry.key, status);
        return status;
      },
    };
  }
}

/** `s=Tank.Level` lives in object `Tank` as `Level`; ids without a dot, and numeric ids, in `Device`. */
export function placement(id: string): { folder: string; browseName: string } {
  if (id.startsWith("s=")) {
    const text = id.slice(2);
    const dot = text.lastIndexOf(".");
    if (dot > 0 && dot < text.length - 1) return { folder: text.slice(0, dot), browseName: text.slice(dot + 1) };
    return { folder: "Device", browseName: text };
  }
  return { folder: "Device", browseName: `Variable${id.slice(2)}` };
}

export function variant(dataType: OpcuaDataTypeName, value: OpcuaScalar): Variant {
  return new Variant({ dataType: DataType[dataType], value });
}
