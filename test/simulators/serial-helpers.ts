/** A serialport reader for the driver's end of a simulator's pty: collects bytes, lines, and close. */
import { SerialPort } from "serialport";

export interface SerialReader {
  readonly port: SerialPort;
  bytes(): Buffer;
  /** Complete CR LF terminated lines received so far (without the CR LF). */
  lines(): string[];
  /** Whether the port closed under the reader (the cable was pulled). */
  closedUnder(): boolean;
  write(text: string): void;
  close(): Promise<void>;
}

export async function openReader(path: string, baudRate = 9600): Promise<SerialReader> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  let got = Buffer.alloc(0);
  let closedUnder = false;
  let closing = false;
  port.on("data", (chunk: Buffer) => (got = Buffer.concat([got, chunk])));
  port.on("error", () => undefined);
  port.on("close", () => {
    if (!closing) closedUnder = true;
  });
  return {
    port,
    bytes: () => got,
    lines: () => {
      const parts = got.toString("latin1").split("\r\n");
      parts.pop();
      return parts;
    },
    closedUnder: () => closedUnder,
    write: (text) => port.write(text),
    close: () =>
      new Promise<void>((resolve) => {
        closing = true;
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
