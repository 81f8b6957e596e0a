/**
 * The demo's live view: one compact block per second on a terminal (a line per device, redrawn in
 * place), the same block every 5 s in a log.
 */
import type { Gateway } from "../gateway.js";
import { DEMO_VIEW } from "./demo-config.js";

const fmt = (v: unknown, digits = 1) =>
  typeof v === "number" ? v.toFixed(digits) : v === true ? "ON " : v === false ? "off" : typeof v === "string" ? v : "-";

let lastLogLine = 0;
let drawnLines = 0;

export function renderLiveView(gw: Gateway, startedAt: number, out: NodeJS.WriteStream, final = false): void {
  const value = (id: string) => gw.live.get(id)?.value;
  const zones = gw.config.devices.map((d) => {
    const p = (name: string) => value(`${d.id}/${name}`);
    const shown = DEMO_VIEW[d.id];
    if (shown) {
      const points = d.profile.points;
      const unit = (name: string) => points.find((pt) => pt.name === name)?.unit ?? "";
      return `${d.id}: ${shown.map((name) => `${name} ${fmt(p(name), name === "latitude" || name === "longitude" ? 5 : 1)}${unit(name) ? ` ${unit(name)}` : ""}`).join("  ")}`;
    }
    return `${d.id}: ${fmt(p("temperature"))} degC ${fmt(p("humidity"))} %RH  heater ${fmt(p("heater"))} vent ${fmt(p("vent"))} fan ${fmt(p("fan"))}`;
  });
  const agents = gw.agents.stats();
  const writes = agents.reduce((n, a) => n + a.actuations, 0);
  const refused = agents.reduce((n, a) => n + a.refused, 0);
  const tel = gw.store.telemetry.stats();
  const dev = gw.devices.stats();
  const elapsed = Math.round((Date.now() - startedAt) / 1000);
  const summary = `t+${elapsed}s  writes ${writes} (refused ${refused})  history ${tel.written} rows  device requests ${dev.requests} (failed ${dev.failures})`;
  if (out.isTTY) {
    // redraw the block in place: up over the previous one, clearing each line
    const lines = [...zones, summary];
    out.write(`${drawnLines > 0 ? `\x1b[${drawnLines}A` : ""}${lines.map((l) => `\x1b[2K${l}\n`).join("")}`);
    drawnLines = final ? 0 : lines.length;
    return;
  }
  if (!final && Date.now() - lastLogLine < 5000) return;
  lastLogLine = Date.now();
  out.write(`${[summary, ...zones.map((z) => `  ${z}`)].join("\n")}\n`);
}
