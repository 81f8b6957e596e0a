/**
 * The demo site's hardware, simulated: every device family the gateway speaks, each on its real
 * protocol over loopback or a pty pair. Two greenhouse zones and a drive on Modbus TCP, two energy
 * meters on Modbus TCP, a temperature/humidity probe on Modbus RTU, a water tank and an S7-1500
 * line PLC on OPC-UA, a GPS and a weather station talking NMEA 0183, and command/response,
 * binary-frame, CSV and JSON sensors on serial lines. Loaded only by the demo command and the tests.
 */
import { loadProfileFile, resolveProfilePath } from "../config/profile-load.js";
import type { OpcuaProfile } from "../config/profile-schema.js";
import type { ModbusSimulator, OpcuaSimulator, PtyPair, SerialSimulator } from "../../simulators/index.js";

/** Where the gateway finds each simulated device. */
export interface DemoEndpoints {
  greenhousePort: number;
  meterMainPort: number;
  meterPumpPort: number;
  drivePort: number;
  /** Modbus RTU bus (the gateway's end of the pty pair) */
  probePath: string;
  tankEndpoint: string;
  plcEndpoint: string;
  gpsPath: string;
  weatherPath: string;
  thpPath: string;
  framesPath: string;
  csvPath: string;
  jsonPath: string;
}

export interface DemoSimulators {
  endpoints: DemoEndpoints;
  /** advance every model by `ms` of simulated time (the demo runs faster than the wall clock) */
  step(ms: number): void;
  close(): Promise<void>;
}

export async function startDemoSimulators(): Promise<DemoSimulators> {
  const sims = await import("../../simulators/index.js");
  const closers: (() => Promise<void>)[] = [];
  const steppers: ((ms: number) => void)[] = [];
  const keep = <T extends { close(): Promise<void> }>(s: T): T => {
    closers.push(() => s.close());
    return s;
  };
  const profile = (ref: string) => loadProfileFile(resolveProfilePath(ref, process.cwd()));
  const modbusTcp = async (options: Parameters<typeof sims.startModbusSimulator>[0]): Promise<ModbusSimulator> => {
    const s = keep(await sims.startModbusSimulator(options));
    steppers.push((ms) => s.step(ms));
    return s;
  };
  const serial = async (model: "gps" | "weather" | "command" | "binary" | "csv" | "json"): Promise<SerialSimulator> =>
    keep(await sims.startSerialSimulator({ model, pty: true, baudRate: model === "gps" ? 9600 : 4800 }));

  try {
    const greenhouse = await modbusTcp({ transport: "tcp", port: 0, model: "greenhouse", unitIds: [1, 2] });
    const meterMain = await modbusTcp({ transport: "tcp", port: 0, model: "profile", profile: profile("eastron/sdm630") });
    const meterPump = await modbusTcp({ transport: "tcp", port: 0, model: "profile", profile: profile("eastron/sdm120") });
    const drive = await modbusTcp({ transport: "tcp", port: 0, model: "profile", profile: profile("abb/acs355") });
    const bus: PtyPair = keep(await sims.createPtyPair());
    await modbusTcp({ transport: "rtu", path: bus.a, model: "profile", profile: profile("generic/xy-md02"), unitIds: [1] });
    const tank: OpcuaSimulator = keep(await sims.startOpcuaSimulator({ model: "water-tank", tickMs: 500, waterTank: { levelM: 2, valvePct: 40 } }));
    steppers.push((ms) => tank.step(ms));
    const plc: OpcuaSimulator = keep(await sims.startOpcuaSimulator(plcOptions(profile("generic/opcua-plc") as OpcuaProfile)));
    steppers.push((ms) => plc.step(ms));
    const [gps, weather, thp, frames] = [await serial("gps"), await serial("weather"), await serial("command"), await serial("binary")];
    const [csv, json] = [await serial("csv"), await serial("json")];
    return {
      endpoints: {
        greenhousePort: greenhouse.port!,
        meterMainPort: meterMain.port!,
        meterPumpPort: meterPump.port!,
        drivePort: drive.port!,
        probePath: bus.b,
        tankEndpoint: tank.endpointUrl,
        plcEndpoint: plc.endpointUrl,
        gpsPath: gps.path,
        weatherPath: weather.path,
        thpPath: thp.path,
        framesPath: frames.path,
        csvPath: csv.path,
        jsonPath: json.path,
      },
      step: (ms) => steppers.forEach((step) => step(ms)),
      close: () => closeAll(closers),
    };
  } catch (err) {
    await closeAll(closers);
    throw err;
  }
}

/**
 * A PLC serving the profile's tags as shipped: the simulator owns the vendor's namespace URI (the
 * `nsu=` of the node ids) and starts every tag at its safe value, 10 or false.
 */
function plcOptions(plc: OpcuaProfile) {
  const uri = /^nsu=([^;]+);/.exec(plc.points[0]!.nodeId)?.[1];
  return {
    model: "none" as const,
    ...(uri ? { namespaceUri: uri } : {}),
    variables: plc.points.map((p) => ({
      nodeId: p.nodeId,
      dataType: p.type,
      writable: p.writable === true,
      value: p.envelope?.safeValue ?? (p.type === "Boolean" ? false : p.type === "String" ? "" : 10),
      ...(p.unit ? { unit: p.unit } : {}),
    })),
  };
}

/** Close in reverse order of starting; one failing close does not keep the others open. */
async function closeAll(closers: (() => Promise<void>)[]): Promise<void> {
  for (const close of closers.reverse()) await close().catch(() => {});
}
