/**
 * Agents as the task layer sees them: a TaskParticipant over whatever hosts the agents (the
 * supervisor in a gateway), and the eligibility rule of docs/tasks.md: running, skills ⊇ requires ∪
 * {type}, a tenant's task only to that tenant's agents (a task without tenant to every agent), and
 * not excluded (it let this task down before).
 */
import type { AgentAnswer, AgentQuestion, TaskRecord } from "../core/task-types.js";
import type { TaskParticipant } from "./contracts.js";

/** What the task layer needs of the agent supervisor. */
export interface AgentDirectory {
  /** the agents running now */
  running(): readonly { id: string; tenant: string | undefined }[];
  /** manifest skills ∪ declared task types (empty when the agent is unknown) */
  skillsOf(id: string): readonly string[];
  /** rejects with a coded error when the agent is not running or `signal` aborts */
  ask<Q extends AgentQuestion>(id: string, question: Q, signal: AbortSignal): Promise<AgentAnswer<Q>>;
  /** the agent's heartbeat interval (its task lease defaults to three of them) */
  heartbeatMsOf?(id: string): number | undefined;
}

export function participantOf(dir: AgentDirectory, agent: { id: string; tenant: string | undefined }): TaskParticipant {
  const { id, tenant } = agent;
  return {
    id,
    tenant,
    skills: () => dir.skillsOf(id),
    propose: (cfp, signal) => dir.ask(id, { kind: "cfp", cfp }, signal),
    award: (award, signal) => dir.ask(id, { kind: "award", award }, signal),
    run: (run, signal) => dir.ask(id, { kind: "run", run }, signal),
    // a cancel is a courtesy: the task has already left this agent, whatever it answers
    cancel: async (taskId, attempt, reason) => {
      await dir.ask(id, { kind: "cancel", taskId, attempt, reason }, AbortSignal.timeout(5000)).catch(() => undefined);
    },
  };
}

export type EligibilityTask = Pick<TaskRecord, "type" | "requires" | "tenant" | "excluded">;

export function isEligible(task: EligibilityTask, agent: { id: string; tenant: string | undefined }, skills: readonly string[]): boolean {
  if (task.excluded.includes(agent.id)) return false;
  if (task.tenant !== undefined && agent.tenant !== task.tenant) return false;
  const has = new Set(skills);
  return has.has(task.type) && task.requires.every((s) => has.has(s));
}

/** The participants a task may be offered to now. */
export function eligibleParticipants(dir: AgentDirectory, task: EligibilityTask): TaskParticipant[] {
  return dir
    .running()
    .filter((a) => isEligible(task, a, dir.skillsOf(a.id)))
    .map((a) => participantOf(dir, a));
}

/** The participant for a named agent if it is running (direct allocation, restart), else undefined. */
export function runningParticipant(dir: AgentDirectory, id: string): TaskParticipant | undefined {
  const agent = dir.running().find((a) => a.id === id);
  return agent && participantOf(dir, agent);
}
