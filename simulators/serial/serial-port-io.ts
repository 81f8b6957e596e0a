/** Opening and closing a serial port (or pty end) for a simulator, with the project's errors. */
import { SerialPort } from "serialport";
import { LosError } from "../../src/core/errors.js";

export async function openSimulatorPort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) =>
    port.open((err) =>
      err ? reject(new LosError("LOS_E_SIM_START", `serial simulator cannot open ${path}: ${err.message}`, { cause: err })) : resolve(),
    ),
  );
  // A vanished pty or adapter ends the line; the simulator notices through unplug() or close().
  port.on("error", () => undefined);
  return port;
}

export function closeSimulatorPort(port: SerialPort): Promise<void> {
  if (!port.isOpen) return Promise.resolve();
  return new Promise((resolve) => port.close(() => resolve()));
}
