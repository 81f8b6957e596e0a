/**
 * buildGateway(config): wires the layers of one gateway and returns a handle with close().
 *
 * Hot path, once per device per poll cycle: readings → live values → history buffer → one retained
 * state message on the bus → agents that may read them. Writes from anyone take the single
 * actuation path. Start-up is all or nothing: if any part fails, what was started is closed again.
 */
import type { Agent } from "./agents/agent.js";
import { createGatewayAgents, type CodeAgentOptions } from "./agents/gateway-agents.js";
import { WritePermissions } from "./agents/permissions.js";
import type { Supervisor } from "./agents/supervisor.js";
import { serveMqttTasks } from "./api/mqtt-tasks.js";
import { serveMqttWrites } from "./api/mqtt-writes.js";
import { loginsFromConfig } from "./bus/agent-credentials.js";
import { startBroker, type BrokerHandle } from "./bus/broker.js";
import { TenantAuthorizer, tenantAclModel } from "./bus/tenant-authorizer.js";
import type { BusClient } from "./bus/bus-client.js";
import { loadOrCreateCredentials, type ScryptParams } from "./bus/credentials.js";
import { systemClock, type Clock } from "./core/clock.js";
import { LiveValues } from "./core/live-values.js";
import { topics, type GatewayScope } from "./core/topics.js";
import { silentLogger, type Actor, type Logger, type Value } from "./core/types.js";
import type { LoadedConfig } from "./config/load.js";
import { ActuationService, type ActuationResult } from "./devices/actuation.js";
import { loadAdapters } from "./devices/adapters.js";
import { createDeviceManager, type DeviceManager } from "./devices/device-manager.js";
import { DeviceStatePublisher } from "./devices/device-state-publisher.js";
import { openStore, type Store } from "./store/index.js";
import { ContractNet } from "./tasks/contract-net.js";
import { createCoordination, type Coordination } from "./tasks/coordination.js";
import { Negotiator } from "./tasks/negotiation.js";
import type { AgentDirectory } from "./tasks/participants.js";
import { resolveTaskDefaults } from "./tasks/task-defaults.js";
import { TaskManager } from "./tasks/task-manager.js";
import { handleTaskRequest } from "./tasks/task-requests.js";
import { VERSION } from "./version.js";

export { VERSION };

export interface GatewayOptions {
  clock?: Clock;
  logger?: Logger;
  /** where config users' passwords are read from (default process.env) */
  env?: NodeJS.ProcessEnv;
  /** scrypt cost for generated credentials (tests lower it) */
  scrypt?: ScryptParams;
  /** compare merged block reads with one request per point (benchmarks) */
  mergeReads?: boolean;
}

export interface Gateway {
  readonly config: LoadedConfig;
  readonly scope: GatewayScope;
  readonly broker: BrokerHandle;
  readonly bus: BusClient;
  readonly store: Store;
  readonly devices: DeviceManager;
  /** the agent supervisor: every agent's lifecycle, limits and accounting */
  readonly agents: Supervisor;
  /** tasks: create, cancel, list, wait (docs/tasks.md) */
  readonly tasks: TaskManager;
  /** leases, reservations, intents and facts (docs/coordination.md) */
  readonly coordination: Coordination;
  readonly live: LiveValues;
  /** the single write path: capability → lease → envelope → driver → audit */
  actuate(actor: Actor, point: string, value: Value, reason: string): Promise<ActuationResult>;
  /** host an agent written in code (in-process; options: its limits and restart policy) */
  addAgent(agent: Agent, options?: CodeAgentOptions): void;
  close(): Promise<void>;
}

export async function buildGateway(config: LoadedConfig, options: GatewayOptions = {}): Promise<Gateway> {
  const clock = options.clock ?? systemClock;
  const logger = options.logger ?? silentLogger;
  const cfg = config.config;
  const scope: GatewayScope = { site: cfg.site, gateway: cfg.gateway };
  const cleanups: (() => Promise<void> | void)[] = [];
  const unwind = async () => {
    for (const fn of cleanups.reverse()) await fn();
  };

  try {
    const history = cfg.history ?? {};
    const store = openStore({
      dataDir: config.dataDir,
      clock,
      logger,
      telemetry: { ...(history.flushMs ? { flushMs: history.flushMs } : {}), ...(history.flushRows ? { flushRows: history.flushRows } : {}) },
      retention: {
        ...(history.maxAgeDays ? { maxAgeMs: history.maxAgeDays * 86_400_000 } : {}),
        ...(history.maxSizeMB ? { maxBytes: history.maxSizeMB * 1024 * 1024 } : {}),
      },
    });
    cleanups.push(() => store.close());

    const logins = loginsFromConfig(cfg);
    const credentials = await loadOrCreateCredentials(config.dataDir, logins.users, {
      agents: logins.agents,
      ...(options.env ? { env: options.env } : {}),
      ...(options.scrypt ? { scrypt: options.scrypt } : {}),
    });
    const authorizer = new TenantAuthorizer(tenantAclModel(config), logger);
    if (credentials.createdAdmin) {
      logger.info({ file: credentials.adminPasswordFile }, "generated the MQTT admin password (readable only by this user)");
    }
    const broker = await startBroker({
      listeners: cfg.bus.listeners.map((l) => ({ ...l })),
      credentials: credentials.store,
      limits: cfg.bus.limits ?? {},
      authorizer,
      logger,
      clock,
    });
    cleanups.push(() => broker.close());
    const bus = broker.client;
    const live = new LiveValues();

    const devicesById = new Map(config.devices.map((d) => [d.id, d]));
    const tenantsById = new Map((cfg.tenants ?? []).map((t) => [t.id, t]));
    const grantSources = { deviceTenant: (id: string) => devicesById.get(id)?.tenant, tenantPoints: (id: string) => tenantsById.get(id)?.points };
    const agentWrites = new Map<string, readonly string[]>();
    const permissions = new WritePermissions({ ...grantSources, agentWritePatterns: (id) => agentWrites.get(id) });

    const resolved = config.devices.map((d) => ({
      id: d.id,
      ...(d.tenant !== undefined ? { tenant: d.tenant } : {}),
      connection: d.connection,
      profile: d.pollMs ? { ...d.profile, defaults: { ...d.profile.defaults, pollMs: d.pollMs } } : d.profile,
    }));
    const statePublisher = new DeviceStatePublisher(bus, scope, resolved);
    // the devices feed the agents, and the agents act through the devices: close the loop after both exist
    const agentsRef: { current?: Supervisor } = {};
    const devices = createDeviceManager({
      devices: resolved,
      adapters: await loadAdapters(resolved.map((d) => d.profile.protocol)),
      dataDir: config.dataDir,
      env: options.env ?? process.env,
      clock,
      logger,
      ...(options.mergeReads === false ? { mergeReads: false } : {}),
      onReadings: (deviceId, readings) => {
        live.update(readings);
        store.telemetry.append(readings);
        statePublisher.publish(deviceId, readings);
        agentsRef.current?.deliver(readings);
      },
      onStatus: (deviceId, status) => {
        logger[status.available ? "info" : "warn"]({ device: deviceId, ...status }, status.available ? "device available" : "device unavailable");
        void bus.publish(topics.deviceStatus(scope, deviceId), status, { retain: true }).catch(() => {});
      },
    });
    cleanups.push(() => devices.stop());

    const agentTenants = new Map<string, string | undefined>();
    const pointDefs = new Map<string, { deviceId: string; point: (typeof config.devices)[number]["profile"]["points"][number] }>();
    for (const d of config.devices) for (const p of d.profile.points) pointDefs.set(`${d.id}/${p.name}`, { deviceId: d.id, point: p });
    const actuationRef: { current?: ActuationService } = {};
    const taskRef: { current?: TaskManager } = {};
    // a lease that ran out while the gateway was down expires at once: its safe value waits for the drivers
    let markDevicesStarted!: () => void;
    const devicesStarted = new Promise<void>((resolve) => (markDevicesStarted = resolve));
    const coordination = createCoordination({
      store: { leases: store.leases, facts: store.facts },
      bus,
      scope,
      clock,
      logger,
      ...(cfg.coordination?.requireLease ? { requireLease: cfg.coordination.requireLease } : {}),
      canWrite: (actor, point) => permissions.canWrite(actor, point),
      agentTenant: (id) => agentTenants.get(id),
      driveToSafe: async (point, reason) => {
        await devicesStarted;
        const def = pointDefs.get(point);
        if (def && actuationRef.current) await actuationRef.current.driveToSafe([def], reason);
      },
      siteId: cfg.site,
      tasks: (agentId, request) =>
        taskRef.current
          ? handleTaskRequest(taskRef.current, agentId, agentTenants.get(agentId), request)
          : Promise.resolve({ ok: false, code: "LOS_E_CLOSED", message: "the task manager is not running" }),
    });
    cleanups.push(() => coordination.close());

    const actuation = new ActuationService({
      clock,
      live,
      logger,
      devices,
      audit: store.audit,
      canWrite: (actor, point) => permissions.canWrite(actor, point),
      checkLease: (actor, point) => coordination.checkWrite(actor, point),
      onAudit: (e) => {
        const payload = { id: e.id, ts: e.ts, actor: e.actor.id, point: e.point, value: e.value, reason: e.reason, outcome: e.outcome, ...(e.code ? { code: e.code } : {}) };
        void bus.publish(topics.audit(scope), payload).catch(() => {});
      },
    });
    actuationRef.current = actuation;
    const actuate = (actor: Actor, point: string, value: Value, reason: string) => actuation.actuate({ actor, point, value, reason });
    // a gateway shutting down stops its agents: their leases stay stored so tasks resume at the next start
    let shuttingDown = false;

    const agentBeats = new Map<string, number>();
    const agents = createGatewayAgents({
      onHeartbeat: (id) => {
        coordination.leases.renew(id);
        taskRef.current?.onAgentAlive(id);
      },
      onExit: (id, reason) => {
        if (shuttingDown) return;
        coordination.leases.releaseAll(id);
        taskRef.current?.onAgentExit(id, reason.code, reason.message);
      },
      coordinate: (actor, request) => coordination.handle(actor.id, request),
      broker,
      config,
      scope,
      clock,
      logger,
      bus,
      store,
      live,
      actuation,
      grantSources,
      onManifest: (m) => {
        agentTenants.set(m.id, m.tenant);
        agentBeats.set(m.id, m.heartbeatMs);
        agentWrites.set(m.id, m.config.capabilities.write ?? []);
        permissions.reset();
      },
    });
    const supervisor = agents.supervisor;
    agentsRef.current = supervisor;
    cleanups.push(async () => {
      await supervisor.stop();
      if (cfg.safeOnShutdown !== false) await actuation.driveToSafe(agents.writablePoints(), "gateway shutdown");
    });

    const stopWrites = serveMqttWrites({ broker, authorizer, scope, logger, actuate });
    cleanups.push(stopWrites);

    const directory: AgentDirectory = {
      running: () => supervisor.running(),
      skillsOf: (id) => supervisor.skillsOf(id),
      ask: (id, question, signal) => supervisor.ask(id, question, signal),
      heartbeatMsOf: (id) => agentBeats.get(id),
    };
    const tasks = new TaskManager({
      store: store.tasks,
      agents: directory,
      leases: coordination.leases,
      auction: new ContractNet({ clock, logger }),
      negotiation: new Negotiator({ clock, logger }),
      defaults: resolveTaskDefaults(cfg.tasks),
      clock,
      logger,
    });
    taskRef.current = tasks;
    authorizer.setTaskTenant((id) => tasks.get(id)?.tenant);
    // closed before the supervisor: tasks under way stay as stored and resume at the next start
    cleanups.push(async () => {
      shuttingDown = true;
      await tasks.close();
    });
    cleanups.push(serveMqttTasks({ broker, authorizer, scope, logger, tasks }));

    const status = (state: "online" | "offline") =>
      bus.publish(topics.gatewayStatus(scope), { state, ts: clock.now(), version: VERSION, ...scope }, { retain: true });
    await status("online");
    cleanups.push(() => status("offline").catch(() => {}));

    await devices.start();
    markDevicesStarted();
    await supervisor.start();
    tasks.start();
    logger.info({ site: scope.site, gateway: scope.gateway, devices: config.devices.length, agents: supervisor.stats().length, listeners: broker.listeners() }, "gateway started");

    let closing: Promise<void> | undefined;
    return {
      config,
      scope,
      broker,
      bus,
      store,
      devices,
      agents: supervisor,
      tasks,
      coordination,
      live,
      actuate,
      addAgent: agents.addAgent,
      close: () => (closing ??= unwind().then(() => logger.info({}, "gateway stopped"))),
    };
  } catch (err) {
    await unwind();
    throw err;
  }
}
