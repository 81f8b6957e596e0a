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
export { Prng } from "../src/core/prng.js";

export { startControlServer } from "./control/control-server.js";
export type { ControlServer, ControlServerOptions } from "./control/control-server.js";

export { startSerialSimulator } from "./serial/simulator.js";
export type { SerialSimulator, SerialSimulatorOptions, SerialSimulatorStats } from "./serial/simulator.js";
export { SERIAL_MODEL_KINDS } from "./serial/serial-message.js";
export type { SerialModelKind, SerialMessage, SerialDevice, PeriodicDevice, RespondingDevice } from "./serial/serial-message.js";
export { SerialFaultInjector, SERIAL_FAULT_MODES } from "./serial/serial-faults.js";
export type { SerialFaultMode, SerialFaultSpec, SerialFaultHandle, SerialFaultRuleInfo } from "./serial/serial-faults.js";
export { WirePacer } from "./serial/wire-pacer.js";
export type { WirePacerOptions } from "./serial/wire-pacer.js";
export { nmeaSentence, nmeaLatitude, nmeaLongitude, nmeaTime, nmeaDate } from "./serial/nmea-encoder.js";
export { GpsDevice, gpsSentences } from "./serial/gps-device.js";
export { WeatherStationDevice, weatherSentences } from "./serial/weather-device.js";
export { CommandSensorDevice, RequestLineBuffer } from "./serial/command-sensor.js";
export type { CommandSensorOptions } from "./serial/command-sensor.js";
export { BinarySensorDevice } from "./serial/binary-sensor.js";
export { encodeSensorFrame, decodeSensorFrame, SensorFrameParser, FRAME_LENGTH, FRAME_PAYLOAD_LENGTH, FRAME_SYNC } from "./serial/binary-frame.js";
export type { SensorFrame } from "./serial/binary-frame.js";
export { LineSensorDevice, formatReading } from "./serial/line-sensor.js";
export type { LineFormat } from "./serial/line-sensor.js";
export { GpsModel } from "./models/gps.js";
export type { GpsOptions, GpsFix, FixQuality } from "./models/gps.js";
export { WeatherStationModel } from "./models/weather-station.js";
export type { WeatherStationOptions, WeatherStationReading } from "./models/weather-station.js";
export { EnvSensorModel, dewPointC } from "./models/env-sensor.js";
export type { EnvSensorOptions, EnvReading } from "./models/env-sensor.js";

// OPC-UA: node-opcua loads on the first startOpcuaSimulator() call, not with this index.
export { startOpcuaSimulator } from "./opcua/lazy.js";
export type { OpcuaSimulator, OpcuaSimulatorOptions, OpcuaSimulatorStats, OpcuaModelKind } from "./opcua/simulator.js";
export type { OpcuaFaults, OpcuaFaultHandle, SlowFaultSpec } from "./opcua/faults.js";
export type { OpcuaVariableSpec } from "./opcua/custom-variables.js";
export type { ServerCertificateInfo } from "./opcua/server-setup.js";
export type { SignalsModel } from "./opcua/signals.js";
export { WaterTankModel, WATER_TANK_PHYSICS } from "./models/water-tank.js";
export type { WaterTankOptions, WaterTankState, WaterTankReadings, WaterTankOverride } from "./models/water-tank.js";
