/**
 * Values between the gateway and OPC-UA Variants. Writes are coerced to the point's declared data
 * type (node-opcua wants 64-bit integers as [high, low] 32-bit words); reads turn a Variant's value
 * into a number, boolean or string, or fail with LOS_E_CODEC for what a point cannot carry.
 */
import { DataType, Variant, VariantArrayType } from "node-opcua";
import { LosError } from "../../core/errors.js";
import type { Value } from "../../core/types.js";
import type { OpcuaDataType } from "../../config/opcua-profile-schema.js";

const INT_RANGE: Partial<Record<OpcuaDataType, [number, number]>> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
  Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
  UInt64: [0, Number.MAX_SAFE_INTEGER],
};

const FLOAT32_MAX = 3.4028234663852886e38;

/** node-opcua's 64-bit form: [high, low] unsigned 32-bit words, two's complement for Int64. */
export function toInt64Words(n: number): [number, number] {
  const big = BigInt.asUintN(64, BigInt(n));
  return [Number(big >> 32n), Number(big & 0xffffffffn)];
}

export function fromInt64Words(words: readonly number[], signed: boolean): number {
  const big = (BigInt(words[0]! >>> 0) << 32n) | BigInt(words[1]! >>> 0);
  return Number(signed ? BigInt.asIntN(64, big) : big);
}

/** The Variant a write of `value` to a node of `type` sends; LOS_E_CODEC when it cannot fit. */
export function toVariant(type: OpcuaDataType, value: Value, point: string): Variant {
  const fail = (why: string) => new LosError("LOS_E_CODEC", `${point} (${type}): ${why}`, { details: { point, type, value } });
  if (type === "Boolean") {
    if (typeof value === "boolean") return new Variant({ dataType: DataType.Boolean, value });
    if (value === 0 || value === 1) return new Variant({ dataType: DataType.Boolean, value: value === 1 });
    throw fail(`expected a boolean, got ${JSON.stringify(value)}`);
  }
  if (type === "String") return new Variant({ dataType: DataType.String, value: String(value) });
  const n = typeof value === "boolean" ? Number(value) : typeof value === "number" ? value : Number.NaN;
  if (!Number.isFinite(n)) throw fail(`expected a finite number, got ${JSON.stringify(value)}`);
  if (type === "Double") return new Variant({ dataType: DataType.Double, value: n });
  if (type === "Float") {
    if (Math.abs(n) > FLOAT32_MAX) throw fail(`${n} does not fit a 32-bit float`);
    return new Variant({ dataType: DataType.Float, value: n });
  }
  const range = INT_RANGE[type]!;
  if (!Number.isInteger(n)) throw fail(`${n} is not an integer`);
  if (n < range[0] || n > range[1]) throw fail(`${n} is outside ${range[0]}..${range[1]}`);
  // an array value is ambiguous for node-opcua: say it is one scalar
  if (type === "Int64" || type === "UInt64") return new Variant({ dataType: DataType[type], arrayType: VariantArrayType.Scalar, value: toInt64Words(n) });
  return new Variant({ dataType: DataType[type], value: n });
}

/** A Variant's value as a point value; throws LOS_E_CODEC for arrays, structures and nulls. */
export function fromVariant(variant: Variant, point: string): Value {
  const v: unknown = variant.value;
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "string") return v;
  if ((variant.dataType === DataType.Int64 || variant.dataType === DataType.UInt64) && Array.isArray(v) && v.length === 2) {
    return fromInt64Words(v as number[], variant.dataType === DataType.Int64);
  }
  if (typeof v === "bigint") return Number(v);
  throw new LosError("LOS_E_CODEC", `${point}: the node holds a ${DataType[variant.dataType] ?? "value"} that is not a number, boolean or string`, {
    details: { point, dataType: DataType[variant.dataType] },
  });
}
