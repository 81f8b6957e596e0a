/** Shared helpers for simulator tests: bounded polling and modbus-serial clients. */
import ModbusRTU from "modbus-serial";

/** Poll `condition` every `intervalMs` until it holds; fail after `timeoutMs`. */
export async function waitFor(condition: () => boolean, what = "condition", timeoutMs = 5000, intervalMs = 5): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

export async function tcpClient(port: number, unitId = 1, timeoutMs = 2000): Promise<ModbusRTU> {
  const client = new ModbusRTU();
  await client.connectTCP("127.0.0.1", { port });
  client.setID(unitId);
  client.setTimeout(timeoutMs);
  return client;
}

export async function rtuClient(path: string, unitId = 1, timeoutMs = 2000): Promise<ModbusRTU> {
  const client = new ModbusRTU();
  await client.connectRTUBuffered(path, { baudRate: 9600 });
  client.setID(unitId);
  client.setTimeout(timeoutMs);
  return client;
}

export function closeClient(client: ModbusRTU): Promise<void> {
  return new Promise((resolve) => {
    if (!client.isOpen) return resolve();
    client.close(() => resolve());
  });
}

/** The error a promise rejects with (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<Error & { modbusCode?: number; errno?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { modbusCode?: number; errno?: string };
  }
  throw new Error("expected the request to fail, but it succeeded");
}

/** Track whether a promise settled, without awaiting it. */
export function track<T>(promise: Promise<T>): { settled: () => boolean; promise: Promise<T> } {
  let settled = false;
  const p = promise.finally(() => {
    settled = true;
  });
  p.catch(() => {});
  return { settled: () => settled, promise: p };
}
