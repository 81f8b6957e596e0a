import { describe, expect, it } from "vitest";
import { handlePdu } from "../../simulators/modbus/pdu.js";
import { RegisterBank } from "../../simulators/modbus/register-bank.js";

const pdu = (...bytes: number[]) => Buffer.from(bytes);
const hex = (b: Buffer) => b.toString("hex");

function bank(): RegisterBank {
  const b = new RegisterBank({
    ranges: {
      coil: [{ start: 0, count: 20 }],
      discrete: [{ start: 0, count: 20 }],
      input: [{ start: 0, count: 10 }],
      holding: [{ start: 0, count: 200 }],
    },
  });
  b.setBits("coil", 0, [true, false, true, true, false, false, false, false, true, true]);
  b.setBits("discrete", 3, [true]);
  b.setWords("input", 0, [0x1234, 0xabcd]);
  b.setWords("holding", 0, [7, 8]);
  return b;
}

describe("handlePdu", () => {
  it("reads coils and discrete inputs, packing bits LSB first", () => {
    // 10 coils from 0: 1,0,1,1,0,0,0,0 | 1,1 -> 0x0D 0x03
    expect(hex(handlePdu(bank(), pdu(0x01, 0, 0, 0, 10)))).toBe("01020d03");
    expect(hex(handlePdu(bank(), pdu(0x02, 0, 0, 0, 4)))).toBe("020108");
  });

  it("reads holding and input registers", () => {
    expect(hex(handlePdu(bank(), pdu(0x03, 0, 0, 0, 2)))).toBe("030400070008");
    expect(hex(handlePdu(bank(), pdu(0x04, 0, 0, 0, 2)))).toBe("04041234abcd");
  });

  it("writes single and multiple coils and registers, echoing as the spec says", () => {
    const b = bank();
    expect(hex(handlePdu(b, pdu(0x05, 0, 1, 0xff, 0)))).toBe("050001ff00");
    expect(b.getBit("coil", 1)).toBe(true);
    expect(hex(handlePdu(b, pdu(0x06, 0, 5, 0x12, 0x34)))).toBe("0600051234");
    expect(b.getWord("holding", 5)).toBe(0x1234);
    expect(hex(handlePdu(b, pdu(0x0f, 0, 10, 0, 3, 1, 0b101)))).toBe("0f000a0003");
    expect(b.getBits("coil", 10, 3)).toEqual([true, false, true]);
    expect(hex(handlePdu(b, pdu(0x10, 0, 20, 0, 2, 4, 0, 1, 0, 2)))).toBe("1000140002");
    expect(b.getWords("holding", 20, 2)).toEqual([1, 2]);
  });

  it("answers exception 01 for unsupported function codes", () => {
    expect(hex(handlePdu(bank(), pdu(0x16, 0, 0, 0xff, 0xff, 0, 0)))).toBe("9601");
    expect(hex(handlePdu(bank(), pdu(0x2b, 0x0e, 1, 0)))).toBe("ab01");
  });

  it("answers exception 02 outside the declared map", () => {
    expect(hex(handlePdu(bank(), pdu(0x03, 0, 199, 0, 2)))).toBe("8302");
    expect(hex(handlePdu(bank(), pdu(0x04, 0, 10, 0, 1)))).toBe("8402");
    expect(hex(handlePdu(bank(), pdu(0x01, 0, 19, 0, 2)))).toBe("8102");
    expect(hex(handlePdu(bank(), pdu(0x05, 0, 20, 0xff, 0)))).toBe("8502");
    expect(hex(handlePdu(bank(), pdu(0x06, 0, 200, 0, 1)))).toBe("8602");
  });

  it("answers exception 03 for bad quantities, byte counts and coil values", () => {
    const big = new RegisterBank();
    expect(hex(handlePdu(big, pdu(0x03, 0, 0, 0, 126)))).toBe("8303");
    expect(hex(handlePdu(big, pdu(0x03, 0, 0, 0, 0)))).toBe("8303");
    expect(hex(handlePdu(big, pdu(0x03, 0, 0, 0, 125))).slice(0, 4)).toBe("03fa");
    expect(hex(handlePdu(big, pdu(0x01, 0, 0, 0x07, 0xd1)))).toBe("8103"); // 2001 coils
    expect(handlePdu(big, pdu(0x01, 0, 0, 0x07, 0xd0))[1]).toBe(250); // 2000 coils
    expect(hex(handlePdu(big, pdu(0x05, 0, 0, 0x12, 0x34)))).toBe("8503");
    expect(hex(handlePdu(big, pdu(0x10, 0, 0, 0, 2, 3, 0, 1, 0)))).toBe("9003"); // byte count 3 for 2 regs
    expect(hex(handlePdu(big, pdu(0x10, 0, 0, 0, 124, 248, ...new Array(248).fill(0))))).toBe("9003");
    expect(hex(handlePdu(big, pdu(0x0f, 0, 0, 0, 9, 1, 0xff)))).toBe("8f03"); // 9 coils need 2 bytes
    expect(hex(handlePdu(big, pdu(0x03, 0, 0)))).toBe("8303"); // short PDU
  });

  it("answers the write guard's exception and leaves the bank unchanged", () => {
    const b = bank();
    b.setWriteGuard(() => 4);
    expect(hex(handlePdu(b, pdu(0x06, 0, 0, 0, 99)))).toBe("8604");
    expect(b.getWord("holding", 0)).toBe(7);
  });
});
