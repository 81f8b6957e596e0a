/** What every serial device (streamed or command/response) is built with. */
import type { Clock } from "../../core/clock.js";
import type { LosError } from "../../core/errors.js";
import type { Logger } from "../../core/types.js";
import type { SerialProfile } from "../../config/profile-schema.js";
import type { DeviceSink } from "../protocol.js";
import type { SerialCounters } from "./stream-decoder.js";

export interface SerialDeviceOptions {
  deviceId: string;
  profile: SerialProfile;
  address: string;
  clock: Clock;
  logger: Logger;
  sink: DeviceSink;
  counters: () => SerialCounters;
  /** the port's state when the device starts: undefined while it is open or the first open is pending */
  portError: () => LosError | undefined;
}
