/**
 * The OPC-UA driver's edges without a server: write coercion to each data type (64-bit integers as
 * node-opcua's [high, low] words), reading Variants back, namespace URIs, and the translation of
 * node-opcua's errors and status names into coded errors.
 */
import { DataType, Variant, VariantArrayType } from "node-opcua";
import { describe, expect, it } from "vitest";
import { statusError, translateOpcuaError } from "../../src/devices/opcua/opcua-errors.js";
import { withNamespaceIndex } from "../../src/devices/opcua/opcua-namespaces.js";
import { fromInt64Words, fromVariant, toInt64Words, toVariant } from "../../src/devices/opcua/opcua-values.js";

describe("OPC-UA values", () => {
  it("coerces writes to the declared type and refuses what it cannot hold", () => {
    expect(toVariant("Boolean", true, "p")).toMatchObject({ dataType: DataType.Boolean, value: true });
    expect(toVariant("Boolean", 1, "p").value).toBe(true);
    expect(toVariant("Int16", -5, "p")).toMatchObject({ dataType: DataType.Int16, value: -5 });
    expect(toVariant("Byte", true, "p")).toMatchObject({ dataType: DataType.Byte, value: 1 });
    expect(toVariant("Float", 2.5, "p")).toMatchObject({ dataType: DataType.Float, value: 2.5 });
    expect(toVariant("String", 42, "p")).toMatchObject({ dataType: DataType.String, value: "42" });
    expect(() => toVariant("Int16", 40_000, "p")).toThrow(expect.objectContaining({ code: "LOS_E_CODEC" }));
    expect(() => toVariant("UInt32", -1, "p")).toThrow(expect.objectContaining({ code: "LOS_E_CODEC" }));
    expect(() => toVariant("Int32", 1.5, "p")).toThrow(/not an integer/);
    expect(() => toVariant("Double", "x", "p")).toThrow(expect.objectContaining({ code: "LOS_E_CODEC" }));
    expect(() => toVariant("Boolean", 2, "p")).toThrow(expect.objectContaining({ code: "LOS_E_CODEC" }));
  });

  it("writes 64-bit integers as [high, low] words and reads them back", () => {
    expect(toVariant("Int64", -2, "p")).toMatchObject({ dataType: DataType.Int64, value: [0xffffffff, 0xfffffffe] });
    expect(toVariant("UInt64", 2 ** 40 + 7, "p").value).toEqual([256, 7]);
    for (const n of [0, 1, -1, 2 ** 33 + 5, -(2 ** 45) - 3, Number.MAX_SAFE_INTEGER]) expect(fromInt64Words(toInt64Words(n), true)).toBe(n);
    expect(fromVariant(new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [1, 2] }), "p")).toBe(2 ** 32 + 2);
    expect(fromVariant(new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xffffffff] }), "p")).toBe(-1);
  });

  it("reads scalars and refuses arrays and structures", () => {
    expect(fromVariant(new Variant({ dataType: DataType.Double, value: 1.25 }), "p")).toBe(1.25);
    expect(fromVariant(new Variant({ dataType: DataType.String, value: "on" }), "p")).toBe("on");
    expect(() => fromVariant(new Variant({ dataType: DataType.Double, value: [1, 2] }), "p")).toThrow(expect.objectContaining({ code: "LOS_E_CODEC" }));
  });

  it("rewrites nsu= node ids with the session's namespace index", () => {
    const ns = ["http://opcfoundation.org/UA/", "urn:sim", "http://www.siemens.com/simatic-s7-opcua"];
    expect(withNamespaceIndex('nsu=http://www.siemens.com/simatic-s7-opcua;s="DB"."Tag"', ns)).toBe('ns=2;s="DB"."Tag"');
    expect(withNamespaceIndex("ns=1;i=5", ns)).toBe("ns=1;i=5");
    expect(() => withNamespaceIndex("nsu=urn:other;s=x", ns)).toThrow(expect.objectContaining({ code: "LOS_E_DEVICE_NODE_UNKNOWN" }));
  });
});

describe("OPC-UA errors", () => {
  const ctx = { endpoint: "opc.tcp://plc:4840" };
  it("translates node-opcua failures into coded errors", () => {
    const untrusted = translateOpcuaError(new Error("server Certificate verification failed with err BadCertificateUntrusted (0x801a0000)"), { ...ctx, thumbprint: "ab12" });
    expect(untrusted).toMatchObject({ code: "LOS_E_DEVICE_CERT_UNTRUSTED", details: { thumbprint: "ab12", status: "BadCertificateUntrusted" } });
    expect(untrusted.message).toContain("llmagentos certs trust ab12");
    expect(translateOpcuaError(new Error("BadUserAccessDenied (0x801f0000)"), ctx).code).toBe("LOS_E_DEVICE_AUTH");
    expect(translateOpcuaError(new Error("BadIdentityTokenRejected"), ctx).code).toBe("LOS_E_DEVICE_AUTH");
    const security = translateOpcuaError(new Error("Cannot find an Endpoint matching  security mode: 2 policy: x"), { ...ctx, offered: ["None/None", "Sign/Basic256Sha256"] });
    expect(security.code).toBe("LOS_E_DEVICE_SECURITY");
    expect(security.message).toContain("None/None, Sign/Basic256Sha256");
    expect(translateOpcuaError(new Error("Transaction has timed out ( timeout = 5000 ms , request = ReadRequest)"), ctx).code).toBe("LOS_E_DEVICE_TIMEOUT");
    expect(translateOpcuaError(new Error("connect ECONNREFUSED 127.0.0.1:4840"), ctx).code).toBe("LOS_E_DEVICE_DISCONNECTED");
    expect(translateOpcuaError(new Error("BadNodeIdUnknown (0x80340000)"), ctx).code).toBe("LOS_E_DEVICE_NODE_UNKNOWN");
    expect(translateOpcuaError(new Error("BadTooManySessions (0x80560000)"), ctx)).toMatchObject({ code: "LOS_E_DEVICE_STATUS", details: { status: "BadTooManySessions" } });
  });

  it("names the status of a bad item", () => {
    expect(statusError("BadNodeIdUnknown", "x").code).toBe("LOS_E_DEVICE_NODE_UNKNOWN");
    expect(statusError("BadNotWritable", "x")).toMatchObject({ code: "LOS_E_DEVICE_STATUS", message: "x: BadNotWritable" });
    expect(statusError("BadUserAccessDenied", "x").code).toBe("LOS_E_DEVICE_AUTH");
  });
});
