/** Register widths, used by the codec at run time: kept apart from the TypeBox profile schema (see connection-key.ts). */
import type { DataType } from "./modbus-profile-schema.js";

/** How many 16-bit registers a value of each type occupies. */
export const REGISTER_WORDS: Readonly<Record<DataType, number>> = {
  bool: 1,
  int16: 1,
  uint16: 1,
  int32: 2,
  uint32: 2,
  float32: 2,
  float64: 4,
};
