/** Public API of the simulators: real protocol servers on loopback with physical models and faults. */
export { startModbusSimulator } from "./modbus/simulator.js";
export type { ModbusSimulator, ModbusSimulatorOptions, TcpSimulatorOptions, RtuSimulatorOptions, ModelKind } from "./modbus/simulator.js";

export { ModbusTcpServer, startModbusTcpServer } from "./modbus/tcp-server.js";
export type { ModbusTcpServerOptions } from "./modbus/tcp-server.js";
export { ModbusRtuServer, startModbusRtuServer } from "./modbus/rtu-server.js";
export type { ModbusRtuServerOptions } from "./modbus/rtu-server.js";
export type { ServerStats } from "./modbus/unit-router.js";

export { FaultInjector, FAULT_MODES } from "./modbus/faults.js";
export type { FaultMode, FaultSpec, FaultHandle, FaultRuleInfo, FaultDecision } from "./modbus/faults.js";

export { RegisterBank, REGISTER_KINDS } from "./modbus/register-bank.js";
export type { RegisterKind, BitKind, WordKind, WritableKind, AddressRange, RegisterBankOptions, WriteListener, WriteGuard } from "./modbus/register-bank.js";
export { encodeValue, decodeValue, wordCount } from "./modbus/value-codec.js";
export type { NumericType, WordOrder, ByteOrder, WordLayout } from "./modbus/value-codec.js";

export { handlePdu, exceptionPdu, isExceptionPdu, FunctionCode, ExceptionCode, LIMITS } from "./modbus/pdu.js";
export { crc16Modbus, appendCrc, hasValidCrc } from "./modbus/crc16.js";
export { RtuRequestParser, requestFrameLength } from "./modbus/rtu-framing.js";

export { createPtyPair } from "./serial/pty-pair.js";
export type { PtyPair, PtyPairOptions } from "./serial/pty-pair.js";

export type { SimModel } from "./models/model.js";
export { GreenhouseModel, GREENHOUSE_PHYSICS, GREENHOUSE_SENSORS } from "./models/greenhouse.js";
export type { GreenhouseOptions, GreenhouseState, GreenhouseSensor } from "./models/greenhouse.js";
export { GREENHOUSE_MAP, GREENHOUSE_DEFAULTS } from "./models/greenhouse-map.js";
export { Weather } from "./models/weather.js";
export type { WeatherOptions, WeatherSample } from "./models/weather.js";
export { RegisterModel, defaultRegisterPoints } from "./models/register-model.js";
export type { RegisterModelOptions, RegisterPointSpec } from "./models/register-model.js";
export { ProfileModel, profileRanges } from "./models/profile-model.js";
export type { ProfileModelOptions } from "./models/profile-model.js";
export type { PointRange } from "./models/profile-model-ranges.js";
export { Prng } from "./prng.js";

export { startControlServer } from "./control/control-server.js";
export type { ControlServer, ControlServerOptions } from "./control/control-server.js";
