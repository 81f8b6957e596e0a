/**
 * CRC-16/MODBUS (poly 0xA001 reflected, init 0xFFFF), as used by Modbus RTU. The CRC is appended
 * to a frame low byte first. Shared by the RTU simulator and the gateway's RTU framing.
 */

const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
    table[i] = crc;
  }
  return table;
})();

/** CRC-16/MODBUS of `data` (check value of "123456789" is 0x4B37). */
export function crc16Modbus(data: Uint8Array, start = 0, end = data.length): number {
  let crc = 0xffff;
  for (let i = start; i < end; i++) crc = (crc >>> 8) ^ (TABLE[(crc ^ (data[i] as number)) & 0xff] as number);
  return crc;
}

/** A new buffer: `frame` followed by its CRC, low byte first. */
export function appendCrc(frame: Uint8Array): Buffer {
  const out = Buffer.alloc(frame.length + 2);
  out.set(frame, 0);
  out.writeUInt16LE(crc16Modbus(frame), frame.length);
  return out;
}

/** True when the last two bytes of `frame` are the CRC of the bytes before them. */
export function hasValidCrc(frame: Uint8Array): boolean {
  if (frame.length < 3) return false;
  const n = frame.length - 2;
  const received = (frame[n] as number) | ((frame[n + 1] as number) << 8);
  return crc16Modbus(frame, 0, n) === received;
}
