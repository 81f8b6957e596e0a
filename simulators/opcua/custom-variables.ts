/**
 * Variables given as data (`variables` option), so the simulator can serve any OPC-UA device
 * profile's nodes. Writable ones keep what clients write. Read-only numbers wander slowly (a
 * seeded random walk pulled back towards the initial value, integers by whole steps) so that
 * subscriptions and polls see changes; read-only booleans and strings keep their value.
 */
import { StatusCodes, makeEUInformation, standardUnits, type EUInformation } from "node-opcua";
import { LosError } from "../../src/core/errors.js";
import { Prng } from "../../src/core/prng.js";
import { INTEGER_LIMITS, OPCUA_DATA_TYPES, type NodeSpec, type OpcuaDataTypeName, type OpcuaScalar } from "./node-table.js";

export interface OpcuaVariableSpec {
  /**
   * `ns=1;s=Boiler.Temperature` (object `Boiler`, variable `Temperature`), `s=…`, `ns=1;i=1001`, or
   * `nsu=<the simulator's namespaceUri>;s=…`.
   */
  nodeId: string;
  /** Boolean, SByte, Byte, Int16, UInt16, Int32, UInt32, Float, Double or String. */
  dataType: string;
  writable?: boolean;
  value: number | boolean | string;
  /** Engineering unit symbol: m, bar, degC, %, m3/h, kW, V, A, Hz, rpm, s… (others are served as given). */
  unit?: string;
}

const UNITS: Record<string, EUInformation> = {
  m: standardUnits.metre,
  mm: standardUnits.millimetre,
  bar: standardUnits.bar,
  mbar: standardUnits.millibar,
  Pa: standardUnits.pascal,
  kPa: standardUnits.kilopascal,
  degC: standardUnits.degree_celsius,
  "°C": standardUnits.degree_celsius,
  degF: standardUnits.degree_fahrenheit,
  K: standardUnits.kelvin,
  "%": standardUnits.percent,
  "m3/h": standardUnits.cubic_metre_per_hour,
  W: standardUnits.watt,
  kW: standardUnits.kilowatt,
  V: standardUnits.volt,
  A: standardUnits.ampere,
  Hz: standardUnits.hertz,
  rpm: standardUnits.revolutions_per_minute,
  s: standardUnits.second,
  ms: standardUnits.millisecond,
  kg: standardUnits.kilogram,
  ppm: standardUnits.part_per_million,
};

export function unitFor(symbol: string): EUInformation {
  return UNITS[symbol] ?? makeEUInformation(symbol, symbol, symbol);
}

interface Live {
  spec: OpcuaVariableSpec;
  dataType: OpcuaDataTypeName;
  value: OpcuaScalar;
  initial: number;
  scale: number;
}

export class CustomVariables {
  readonly specs: NodeSpec[] = [];
  readonly #wandering: Live[] = [];
  readonly #prng: Prng;

  constructor(variables: readonly OpcuaVariableSpec[], namespaceIndex: number, seed: number, namespaceUri?: string) {
    this.#prng = new Prng(seed);
    for (const spec of variables) {
      const dataType = checkType(spec);
      const live: Live = { spec, dataType, value: spec.value, initial: typeof spec.value === "number" ? spec.value : 0, scale: 0 };
      const numeric = typeof spec.value === "number";
      if (numeric && !spec.writable) {
        const integer = dataType in INTEGER_LIMITS;
        live.scale = integer ? 1 : Math.max(Math.abs(live.initial) * 0.002, 0.01);
        this.#wandering.push(live);
      }
      this.specs.push({
        id: localId(spec.nodeId, namespaceIndex, namespaceUri),
        dataType,
        unit: spec.unit ? unitFor(spec.unit) : undefined,
        read: () => live.value,
        write: spec.writable
          ? (v) => {
              live.value = v;
              return StatusCodes.Good;
            }
          : undefined,
      });
    }
  }

  /** Move every read-only number one random-walk step per second of `dtMs`. */
  step(dtMs: number): void {
    const steps = Math.max(1, Math.round(dtMs / 1000));
    for (const live of this.#wandering) {
      let x = live.value as number;
      for (let i = 0; i < steps; i++) x += (live.initial - x) * 0.05 + this.#prng.gaussian() * live.scale;
      const limits = INTEGER_LIMITS[live.dataType];
      if (limits) x = Math.min(limits[1], Math.max(limits[0], Math.round(x)));
      live.value = x;
    }
  }
}

/** `ns=1;s=X` / `s=X` / `ns=1;i=5` / `nsu=<own uri>;s=X` → the id inside the simulator's namespace (`s=X`, `i=5`). */
export function localId(nodeId: string, namespaceIndex: number, namespaceUri?: string): string {
  const own = namespaceUri !== undefined && nodeId.startsWith(`nsu=${namespaceUri};`);
  const m = /^(?:ns=(\d+);)?([si])=(.+)$/.exec(own ? nodeId.slice(`nsu=${namespaceUri};`.length) : nodeId);
  if (!m || (m[1] !== undefined && Number(m[1]) !== namespaceIndex)) {
    throw new LosError("LOS_E_SIM_START", `variable node id "${nodeId}": expected ns=${namespaceIndex};s=<name> or ns=${namespaceIndex};i=<number> (the simulator's own namespace)`);
  }
  const [, , kind, text] = m as unknown as [string, string | undefined, string, string];
  if (kind === "i" && !/^\d+$/.test(text)) throw new LosError("LOS_E_SIM_START", `variable node id "${nodeId}": a numeric id needs digits after i=`);
  return `${kind}=${text}`;
}

function checkType(spec: OpcuaVariableSpec): OpcuaDataTypeName {
  const dataType = OPCUA_DATA_TYPES.find((t) => t === spec.dataType);
  if (!dataType) {
    throw new LosError("LOS_E_SIM_START", `variable ${spec.nodeId}: data type "${spec.dataType}" is not served; use one of ${OPCUA_DATA_TYPES.join(", ")}`);
  }
  const expected = dataType === "Boolean" ? "boolean" : dataType === "String" ? "string" : "number";
  if (typeof spec.value !== expected) throw new LosError("LOS_E_SIM_START", `variable ${spec.nodeId}: a ${dataType} needs a ${expected} value, got ${JSON.stringify(spec.value)}`);
  return dataType;
}
