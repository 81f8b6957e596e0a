/**
 * mqtt-packet (the MQTT codec under aedes and mqtt.js) builds, before the first packet it writes, a
 * cache of 65,536 two-byte Buffers for the 16-bit numbers in packets (topic lengths, packet ids):
 * ≈ 6.5 MB of heap for the life of the process (in a heap snapshot of the loaded gateway, 66,000 of
 * its live objects and a third of its live heap). Allocating the two bytes when a number is written
 * costs nothing measurable at the bench's 1,000 messages/s and saved 7–8 MB RSS under load
 * (docs/bench.md), so the broker turns the cache off before anything is written.
 */
import { createRequire } from "node:module";

interface PacketCodec {
  writeToStream: { cacheNumbers: boolean };
}

/** The mqtt-packet instance aedes loads (not a direct dependency: resolved from aedes). */
export function packetCodec(): PacketCodec {
  const local = createRequire(import.meta.url);
  return createRequire(local.resolve("aedes"))("mqtt-packet") as PacketCodec;
}

/** Idempotent; takes effect only if no packet was written before (the cache stays once built). */
export function disablePacketNumberCache(): void {
  packetCodec().writeToStream.cacheNumbers = false;
}
