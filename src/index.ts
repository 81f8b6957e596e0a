/** The llmagentos package: what programs embedding a gateway or writing agents import. */
export { Agent } from "./agents/agent.js";
export type { ActionRecord, AgentOptions, DecideFn, Perception, Task } from "./agents/agent.js";
export type { AgentContext } from "./agents/context.js";
export { run } from "./agents/run.js";
export type { RunOptions, RunReport } from "./agents/run.js";
export { AgentRuntime } from "./agents/runtime.js";
export { buildGateway, VERSION } from "./gateway.js";
export type { Gateway, GatewayOptions } from "./gateway.js";
export { loadConfig, loadConfigValue } from "./config/load.js";
export type { LoadedConfig } from "./config/load.js";
export { loadProfileFile } from "./config/profile-load.js";
export { LosError, ERROR_CODES, isLosError } from "./core/errors.js";
export type { ErrorCode, Envelope } from "./core/errors.js";
export { systemClock, ManualClock } from "./core/clock.js";
export { topics, TOPIC_ROOT } from "./core/topics.js";
export type { Reading, Value, Quality, Actor } from "./core/types.js";
export type {
  TaskSpec,
  TaskRecord,
  TaskState,
  TaskRun,
  TaskOutcome,
  TaskAward,
  TaskAwardReply,
  CallForProposals,
  BidOffer,
  Allocation,
  AuctionOptions,
  NegotiationOptions,
  LeaseRecord,
  Fact,
  FactScope,
} from "./core/task-types.js";
export { TASK_STATES, FINAL_TASK_STATES } from "./core/task-types.js";
export { TaskManager } from "./tasks/task-manager.js";
export type { TaskService, TaskEvent, TaskFilter, TaskParticipant } from "./tasks/contracts.js";
export type { Coordination } from "./tasks/coordination.js";
