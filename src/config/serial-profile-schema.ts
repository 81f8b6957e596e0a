/**
 * Serial profiles: how a device's bytes become points. The framing says how the stream is cut
 * (text lines, NMEA 0183 sentences, binary frames, or answers to commands); each point says where
 * its value sits in a line, sentence, frame or answer.
 */
import { Type, type Static } from "@sinclair/typebox";
import { CommonPointFields, literalUnion } from "./point-schema.js";

const Eol = Type.Optional(Type.String({ minLength: 1, maxLength: 4, description: 'line terminator (default "\\n"; a trailing "\\r" is dropped)' }));

export const LinesFraming = Type.Object(
  {
    kind: Type.Literal("lines"),
    format: Type.Union([Type.Literal("regex"), Type.Literal("csv"), Type.Literal("json")]),
    eol: Eol,
    delimiter: Type.Optional(Type.String({ minLength: 1, maxLength: 1, description: "csv column separator (default ,)" })),
    maxLineBytes: Type.Optional(Type.Integer({ minimum: 16, maximum: 65_536, description: "longer lines are dropped as bad frames (default 1024)" })),
    columns: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description: "csv: a line with another column count is a bad frame" })),
  },
  { additionalProperties: false },
);

export const NmeaFraming = Type.Object(
  {
    kind: Type.Literal("nmea"),
    requireChecksum: Type.Optional(Type.Boolean({ description: "refuse sentences without *hh (default true)" })),
  },
  { additionalProperties: false },
);

export const BinaryFraming = Type.Object(
  {
    kind: Type.Literal("binary"),
    sync: Type.Array(Type.Integer({ minimum: 0, maximum: 255 }), { minItems: 1, maxItems: 8, description: "bytes that start a frame" }),
    lengthOffset: Type.Integer({ minimum: 0, description: "offset of the payload length field from the frame start" }),
    lengthBytes: Type.Union([Type.Literal(1), Type.Literal(2)]),
    checksum: Type.Union([Type.Literal("none"), Type.Literal("sum8"), Type.Literal("xor8"), Type.Literal("crc16-modbus")], {
      description: "over the bytes after the sync up to the end of the payload; CRC-16 low byte first",
    }),
    maxPayload: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535, description: "longest payload accepted (default 256)" })),
  },
  { additionalProperties: false },
);

export const CommandFraming = Type.Object(
  {
    kind: Type.Literal("command"),
    eol: Eol,
    timeoutMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 60_000, description: "answer timeout per command" })),
    addressPrefix: Type.Optional(
      Type.String({ minLength: 1, maxLength: 32, description: 'with a connection `address`: prefix of requests and answers, `{address}` replaced (default "{address}:")' }),
    ),
    errorPattern: Type.Optional(Type.String({ description: 'an answer matching this regex is a device error (default "^ERR")' })),
  },
  { additionalProperties: false },
);

export const SerialFraming = Type.Union([LinesFraming, NmeaFraming, BinaryFraming, CommandFraming]);

export const SerialValueType = literalUnion(["number", "bool", "string", "int8", "uint8", "int16", "uint16", "int32", "uint32", "float32"], {
  description: "number, bool or string for text; int/uint/float types for binary payload fields",
});

export const SerialPointDef = Type.Object(
  {
    ...CommonPointFields,
    type: Type.Optional(SerialValueType),
    // text lines and command answers
    regex: Type.Optional(Type.String({ description: "regular expression; the value is capture group `group` (default 1)" })),
    group: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.String()])),
    column: Type.Optional(Type.Integer({ minimum: 0, description: "csv column (0-based)" })),
    path: Type.Optional(Type.String({ description: "json: dotted path, e.g. `env.t` or `values.0`" })),
    // NMEA
    sentence: Type.Optional(Type.String({ pattern: "^[A-Z]{3}$", description: "sentence type without talker, e.g. GGA" })),
    field: Type.Optional(Type.Integer({ minimum: 1, description: "1-based field after the sentence name" })),
    coordinate: Type.Optional(
      Type.Union([Type.Literal("latitude"), Type.Literal("longitude")], {
        description: "the field is ddmm.mmmm (dddmm.mmmm) with the hemisphere in the next field; the value is signed decimal degrees",
      }),
    ),
    // binary frames
    byteOffset: Type.Optional(Type.Integer({ minimum: 0, description: "offset of the field in the payload" })),
    byteOrder: Type.Optional(Type.Union([Type.Literal("big"), Type.Literal("little")])),
    // command/response
    command: Type.Optional(Type.String({ description: "command sent to read this point; the answer is parsed with regex" })),
    writeCommand: Type.Optional(Type.String({ description: "command template to write, `{value}` is replaced" })),
    pollMs: Type.Optional(Type.Integer({ minimum: 10 })),
    scale: Type.Optional(Type.Number()),
    offset: Type.Optional(Type.Number()),
  },
  { additionalProperties: false },
);

export const SerialProfileDefaults = Type.Object(
  {
    pollMs: Type.Optional(Type.Integer({ minimum: 10 })),
    refreshMs: Type.Optional(Type.Integer({ minimum: 100 })),
    staleMs: Type.Optional(Type.Integer({ minimum: 100, description: "a device that sends nothing for this long is unavailable" })),
  },
  { additionalProperties: false },
);

export type SerialFraming = Static<typeof SerialFraming>;
export type SerialPointDef = Static<typeof SerialPointDef>;
export type SerialProfileDefaults = Static<typeof SerialProfileDefaults>;
