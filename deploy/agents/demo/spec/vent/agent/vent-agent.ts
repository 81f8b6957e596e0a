/**
 * The demo container agent: opens the greenhouse roof vent above `open` °C and closes it below
 * `close` °C. It needs no import at run time (the Agent class comes in `options`), so this one file
 * is all the image carries of it; the type import is erased when it is loaded.
 */
import type { Agent, AgentOptions } from "llmagentos";

interface Settings {
  open: number;
  close: number;
}

export function createAgent(id: string, options: AgentOptions & { settings?: unknown; Agent: typeof Agent }): Agent {
  const { open, close } = options.settings as Settings;
  const agent = new options.Agent(id, { ...options, register: false });
  agent.onDecide(async (_perception, ctx) => {
    const t = ctx.value("gh1/temperature");
    if (typeof t !== "number") return;
    const isOpen = ctx.value("gh1/vent") === true;
    if (!isOpen && t > open) await ctx.actuate("gh1/vent", true, `temperature ${t} °C > ${open} °C`);
    if (isOpen && t < close) await ctx.actuate("gh1/vent", false, `temperature ${t} °C < ${close} °C`);
  });
  return agent;
}
