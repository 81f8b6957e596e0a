/**
 * The Modbus application layer of a simulated slave: one request PDU (function code + data) in,
 * one response PDU out, against a RegisterBank. Implements function codes 1, 2, 3, 4, 5, 6, 15 and
 * 16 as the Modbus Application Protocol Specification V1.1b3 describes them, with its exception
 * rules: 01 for an unsupported function, 02 for addresses outside the bank's map, 03 for a bad
 * quantity, byte count or coil value (and for a PDU too short to parse).
 */
import type { BitKind, RegisterBank, WordKind } from "./register-bank.js";

export const FunctionCode = {
  READ_COILS: 0x01,
  READ_DISCRETE_INPUTS: 0x02,
  READ_HOLDING_REGISTERS: 0x03,
  READ_INPUT_REGISTERS: 0x04,
  WRITE_SINGLE_COIL: 0x05,
  WRITE_SINGLE_REGISTER: 0x06,
  WRITE_MULTIPLE_COILS: 0x0f,
  WRITE_MULTIPLE_REGISTERS: 0x10,
} as const;

export const ExceptionCode = {
  ILLEGAL_FUNCTION: 0x01,
  ILLEGAL_DATA_ADDRESS: 0x02,
  ILLEGAL_DATA_VALUE: 0x03,
  SERVER_DEVICE_FAILURE: 0x04,
  ACKNOWLEDGE: 0x05,
  SERVER_DEVICE_BUSY: 0x06,
  GATEWAY_PATH_UNAVAILABLE: 0x0a,
  GATEWAY_TARGET_FAILED: 0x0b,
} as const;

/** Spec limits on quantities per request. */
export const LIMITS = {
  readBits: 2000,
  readRegisters: 125,
  writeCoils: 1968,
  writeRegisters: 123,
} as const;

/** Function codes that change the bank (executed on broadcast, unit id 0, without a reply). */
export const WRITE_FUNCTION_CODES: ReadonlySet<number> = new Set([0x05, 0x06, 0x0f, 0x10]);

/** An exception response PDU: function code with the high bit set, then the exception code. */
export function exceptionPdu(functionCode: number, exceptionCode: number): Buffer {
  return Buffer.from([(functionCode | 0x80) & 0xff, exceptionCode & 0xff]);
}

/** True when a response PDU is an exception response. */
export function isExceptionPdu(pdu: Uint8Array): boolean {
  return pdu.length === 2 && ((pdu[0] as number) & 0x80) !== 0;
}

/** Handle one request PDU against `bank`; never throws (failures become exception 04). */
export function handlePdu(bank: RegisterBank, pdu: Uint8Array): Buffer {
  const fc = pdu[0];
  if (fc === undefined) return exceptionPdu(0, ExceptionCode.ILLEGAL_FUNCTION);
  const data = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  try {
    switch (fc) {
      case FunctionCode.READ_COILS:
        return readBits(bank, "coil", data);
      case FunctionCode.READ_DISCRETE_INPUTS:
        return readBits(bank, "discrete", data);
      case FunctionCode.READ_HOLDING_REGISTERS:
        return readWords(bank, "holding", data);
      case FunctionCode.READ_INPUT_REGISTERS:
        return readWords(bank, "input", data);
      case FunctionCode.WRITE_SINGLE_COIL:
        return writeSingleCoil(bank, data);
      case FunctionCode.WRITE_SINGLE_REGISTER:
        return writeSingleRegister(bank, data);
      case FunctionCode.WRITE_MULTIPLE_COILS:
        return writeMultipleCoils(bank, data);
      case FunctionCode.WRITE_MULTIPLE_REGISTERS:
        return writeMultipleRegisters(bank, data);
      default:
        return exceptionPdu(fc, ExceptionCode.ILLEGAL_FUNCTION);
    }
  } catch {
    return exceptionPdu(fc, ExceptionCode.SERVER_DEVICE_FAILURE);
  }
}

/** Validate a read request (FC 1-4): its range, or the exception to answer with. */
function readRange(
  bank: RegisterBank,
  kind: BitKind | WordKind,
  pdu: Buffer,
  limit: number,
): { address: number; quantity: number } | Buffer {
  const fc = pdu[0] as number;
  if (pdu.length !== 5) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  if (quantity < 1 || quantity > limit) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  if (!bank.exists(kind, address, quantity)) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_ADDRESS);
  return { address, quantity };
}

function readBits(bank: RegisterBank, kind: BitKind, pdu: Buffer): Buffer {
  const range = readRange(bank, kind, pdu, LIMITS.readBits);
  if (Buffer.isBuffer(range)) return range;
  const bits = bank.getBits(kind, range.address, range.quantity);
  const byteCount = Math.ceil(range.quantity / 8);
  const out = Buffer.alloc(2 + byteCount);
  out[0] = pdu[0] as number;
  out[1] = byteCount;
  bits.forEach((bit, i) => {
    if (bit) out[2 + (i >> 3)] = (out[2 + (i >> 3)] as number) | (1 << (i & 7));
  });
  return out;
}

function readWords(bank: RegisterBank, kind: WordKind, pdu: Buffer): Buffer {
  const range = readRange(bank, kind, pdu, LIMITS.readRegisters);
  if (Buffer.isBuffer(range)) return range;
  const out = Buffer.alloc(2 + range.quantity * 2);
  out[0] = pdu[0] as number;
  out[1] = range.quantity * 2;
  bank.getWords(kind, range.address, range.quantity).forEach((w, i) => out.writeUInt16BE(w, 2 + i * 2));
  return out;
}

function writeSingleCoil(bank: RegisterBank, pdu: Buffer): Buffer {
  const fc = FunctionCode.WRITE_SINGLE_COIL;
  if (pdu.length !== 5) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  const address = pdu.readUInt16BE(1);
  const value = pdu.readUInt16BE(3);
  if (value !== 0xff00 && value !== 0x0000) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  if (!bank.exists("coil", address)) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_ADDRESS);
  const refused = bank.clientWrite("coil", address, [value === 0xff00 ? 1 : 0]);
  if (refused !== undefined) return exceptionPdu(fc, refused);
  return Buffer.from(pdu);
}

function writeSingleRegister(bank: RegisterBank, pdu: Buffer): Buffer {
  const fc = FunctionCode.WRITE_SINGLE_REGISTER;
  if (pdu.length !== 5) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  const address = pdu.readUInt16BE(1);
  if (!bank.exists("holding", address)) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_ADDRESS);
  const refused = bank.clientWrite("holding", address, [pdu.readUInt16BE(3)]);
  if (refused !== undefined) return exceptionPdu(fc, refused);
  return Buffer.from(pdu);
}

function writeMultipleCoils(bank: RegisterBank, pdu: Buffer): Buffer {
  const fc = FunctionCode.WRITE_MULTIPLE_COILS;
  if (pdu.length < 6) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5] as number;
  if (quantity < 1 || quantity > LIMITS.writeCoils || byteCount !== Math.ceil(quantity / 8) || pdu.length !== 6 + byteCount) {
    return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  }
  if (!bank.exists("coil", address, quantity)) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_ADDRESS);
  const values: number[] = [];
  for (let i = 0; i < quantity; i++) values.push(((pdu[6 + (i >> 3)] as number) >> (i & 7)) & 1);
  const refused = bank.clientWrite("coil", address, values);
  if (refused !== undefined) return exceptionPdu(fc, refused);
  return Buffer.from(pdu.subarray(0, 5));
}

function writeMultipleRegisters(bank: RegisterBank, pdu: Buffer): Buffer {
  const fc = FunctionCode.WRITE_MULTIPLE_REGISTERS;
  if (pdu.length < 6) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  const address = pdu.readUInt16BE(1);
  const quantity = pdu.readUInt16BE(3);
  const byteCount = pdu[5] as number;
  if (quantity < 1 || quantity > LIMITS.writeRegisters || byteCount !== quantity * 2 || pdu.length !== 6 + byteCount) {
    return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_VALUE);
  }
  if (!bank.exists("holding", address, quantity)) return exceptionPdu(fc, ExceptionCode.ILLEGAL_DATA_ADDRESS);
  const values: number[] = [];
  for (let i = 0; i < quantity; i++) values.push(pdu.readUInt16BE(6 + i * 2));
  const refused = bank.clientWrite("holding", address, values);
  if (refused !== undefined) return exceptionPdu(fc, refused);
  return Buffer.from(pdu.subarray(0, 5));
}
