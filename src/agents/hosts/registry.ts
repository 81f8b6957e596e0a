/**
 * Isolation kind → host factory, each loaded on first use (dynamic import): a gateway without
 * worker agents never loads the worker host's code. Adding a host is one line in LOADERS.
 */
import type { Clock } from "../../core/clock.js";
import { LosError, toLosError } from "../../core/errors.js";
import type { LiveValues } from "../../core/live-values.js";
import type { Logger } from "../../core/types.js";
import type { IsolationKind } from "../../config/agent-schema.js";
import type { SandboxConfig } from "../../config/sandbox-schema.js";
import type { Agent } from "../agent.js";
import type { AgentGrants } from "../grants.js";
import type { HostFactory } from "./agent-host.js";

/** What the hosts of one gateway share. */
export interface HostEnv {
  clock: Clock;
  logger: Logger;
  /** the gateway's latest values (in-process agents read them directly) */
  live: LiveValues;
  /** an agent object given in code (`gateway.addAgent`), by id */
  codeAgent(id: string): Agent | undefined;
  /** the grants the supervisor compiled for an agent */
  grantsOf(id: string): AgentGrants | undefined;
  /** the config's `sandbox:` section (process agents) */
  sandbox?: SandboxConfig;
  /** a loaded host kind registers what the supervisor waits for (`settled`) and ends (`close`) */
  track(part: { settled?(): Promise<void>; close?(): Promise<void> }): void;
}

export type HostLoader = (env: HostEnv) => Promise<HostFactory>;

export const HOST_LOADERS: Partial<Record<IsolationKind, HostLoader>> = {
  "in-process": async (env) => (await import("./in-process-host.js")).inProcessHostFactory(env),
  worker: async (env) => (await import("./worker-host.js")).workerHostFactory({}, (part) => env.track(part)),
  process: async (env) => (await import("./process-host.js")).processHostFactory(env),
  external: async () => (await import("./external-host.js")).createExternalHost,
  container: async () => (await import("./external-host.js")).createExternalHost,
};

export class HostRegistry {
  #env: HostEnv;
  #loaders: Partial<Record<IsolationKind, HostLoader>>;
  #factories = new Map<IsolationKind, Promise<HostFactory>>();
  #parts: { settled?(): Promise<void>; close?(): Promise<void> }[] = [];

  constructor(env: Omit<HostEnv, "track">, loaders: Partial<Record<IsolationKind, HostLoader>> = HOST_LOADERS) {
    this.#env = { ...env, track: (part) => void this.#parts.push(part) };
    this.#loaders = loaders;
  }

  /** The factory of a kind; rejects with LOS_E_AGENT_CONFIG when this build has no such host. */
  factory(kind: IsolationKind): Promise<HostFactory> {
    let f = this.#factories.get(kind);
    if (!f) {
      const loader = this.#loaders[kind];
      f = loader
        ? loader(this.#env).catch((err: unknown) => {
            this.#factories.delete(kind);
            throw new LosError("LOS_E_AGENT_CONFIG", `the ${kind} agent host could not be loaded: ${toLosError(err).message}`, { cause: err });
          })
        : Promise.reject(new LosError("LOS_E_AGENT_CONFIG", `isolation "${kind}" is not available in this gateway (no host for it)`));
      this.#factories.set(kind, f);
    }
    return f;
  }

  async settled(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.settled?.()));
  }

  async close(): Promise<void> {
    await Promise.all(this.#parts.map((p) => p.close?.()));
  }
}
