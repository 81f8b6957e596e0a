/**
 * `llmagentos tasks`: the gateway's tasks. `tasks [list]` and `tasks show <id>` read the data dir
 * (read-only, works while the gateway runs); `tasks create` and `tasks cancel <id>` are requests to
 * the running gateway over MQTT (docs/tasks.md), as the admin user whose password the gateway wrote
 * to the data dir, or as --username with --password-file.
 */
import type { Command } from "commander";
import { LosError } from "../../core/errors.js";
import { TASK_STATES, type TaskRecord, type TaskState } from "../../core/task-types.js";
import { EXIT } from "../exit-codes.js";
import { addDataOptions, type DataOptions } from "../data-options.js";
import { formatTime, printJson, printTable } from "../output.js";
import { parseDuration } from "../time-arg.js";
import type { RemoteOptions } from "./tasks-remote.js";


function addRemoteOptions(cmd: Command): Command {
  return addDataOptions(cmd)
    .option("--url <url>", "the gateway's MQTT broker, e.g. mqtt://gateway:1883 (default: the config's first TCP listener)")
    .option("--username <name>", "MQTT user (default: admin, with the password the gateway wrote to the data dir)")
    .option("--password-file <file>", "file with that user's password")
    .option("--timeout <duration>", "how long to wait for the gateway's answer", "10s");
}

function row(t: TaskRecord): (string | number)[] {
  return [t.id, t.type, t.state, t.priority, t.allocation, t.winner ?? t.parts?.map((p) => p.agent).join(",") ?? "-", t.attempt, t.tenant ?? "-", t.error?.code ?? "-", formatTime(t.updatedAt)];
}

function parseStates(text: string | undefined): TaskState[] | undefined {
  if (text === undefined) return undefined;
  const states = text.split(",").map((s) => s.trim());
  for (const s of states) if (!TASK_STATES.includes(s as TaskState)) throw new LosError("LOS_E_USAGE", `--state ${s}: expected one of ${TASK_STATES.join(", ")}`);
  return states as TaskState[];
}

function parseJsonObject(text: string, what: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new LosError("LOS_E_USAGE", `${what} is not JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new LosError("LOS_E_USAGE", `${what} must be a JSON object`);
  return v as Record<string, unknown>;
}

export function tasksCommand(program: Command): void {
  const tasks = program.command("tasks").description("the gateway's tasks: list, show, create and cancel (docs/tasks.md)");

  addDataOptions(
    tasks
      .command("list", { isDefault: true })
      .description("tasks, newest first, from the data dir (works while the gateway runs)")
      .option("--state <states>", `only these states, comma separated (${TASK_STATES.join(", ")})`)
      .option("--limit <n>", "at most this many tasks", "100")
      .option("--json", "print JSON"),
  ).action(async (opts: DataOptions & { state?: string; limit: string; json?: boolean }) => {
    const limit = Number(opts.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new LosError("LOS_E_USAGE", "--limit must be a positive integer");
    const states = parseStates(opts.state);
    const { withStore } = await import("../common.js"); // the store loads only when the command runs
    const rows = withStore(opts, (s) => s.tasks.list({ limit, ...(states ? { state: states } : {}) }));
    if (opts.json) return printJson(rows);
    if (rows.length === 0) return void process.stdout.write("no tasks recorded\n");
    printTable(["id", "type", "state", "prio", "allocation", "agent", "attempt", "tenant", "error", "updated"], rows.map(row));
  });

  addDataOptions(tasks.command("show <id>").description("one task with its events (bids, awards, runs, re-announcements)").option("--json", "print JSON")).action(
    async (id: string, opts: DataOptions & { json?: boolean }) => {
      const { withStore } = await import("../common.js");
      const found = withStore(opts, (s) => {
        const task = s.tasks.get(id);
        return task && { task, events: s.tasks.events(id) };
      });
      if (!found) throw new LosError("LOS_E_TASK_UNKNOWN", `no task with id "${id}" in the data dir`);
      if (opts.json) return printJson(found);
      const t = found.task;
      const out = process.stdout;
      out.write(`${t.id}  ${t.type}  ${t.state}  priority ${t.priority}  ${t.allocation}${t.winner ? `  winner ${t.winner}` : ""}  attempt ${t.attempt}  round ${t.round}\n`);
      out.write(`created ${formatTime(t.createdAt)} by ${t.createdBy}${t.tenant ? `  tenant ${t.tenant}` : ""}${t.deadline ? `  deadline ${formatTime(t.deadline)}` : ""}\n`);
      if (Object.keys(t.params).length) out.write(`params ${JSON.stringify(t.params)}\n`);
      if (t.parts?.length) out.write(`parts ${t.parts.map((p) => `${p.agent}:${p.quantity}@${p.price} ${p.state}`).join(", ")}\n`);
      if (t.excluded.length) out.write(`excluded ${t.excluded.join(", ")}\n`);
      if (t.result !== undefined) out.write(`result ${JSON.stringify(t.result)}\n`);
      if (t.error) out.write(`error ${t.error.code}: ${t.error.message}\n`);
      printTable(
        ["time", "event", "agent", "attempt", "code", "data"],
        found.events.map((e) => [formatTime(e.ts), e.event, e.agent ?? "", e.attempt ?? "", e.code ?? "", e.data === undefined ? "" : JSON.stringify(e.data)]),
      );
    },
  );

  addRemoteOptions(
    tasks
      .command("create")
      .description("create a task on the running gateway (over MQTT) and print it")
      .requiredOption("--type <type>", "what to do; agents say which types they take")
      .option("--id <id>", "the task id (default: generated)")
      .option("--params <json>", "parameters, a JSON object")
      .option("--requires <skills>", "skills every eligible agent must have, comma separated")
      .option("--priority <n>", "0 (lowest) to 9")
      .option("--deadline <duration>", "not done within this (30s, 5m) → expired")
      .option("--allocation <kind>", "auction, direct or negotiation")
      .option("--assignee <agent>", "the agent of a direct task")
      .option("--tenant <tenant>", "the tenant the task belongs to")
      .option("--retries <n>", "runs that report failure are tried again this often by another agent (0–10, default 0)")
      .option("--wait", "wait until the task is finished and print its final state (exit 1 unless done)")
      .option("--json", "print JSON"),
  ).action(async (opts: RemoteOptions & Record<string, string | boolean | undefined>) => {
    const spec: Record<string, unknown> = { type: opts.type };
    if (typeof opts.id === "string") spec.id = opts.id;
    if (typeof opts.params === "string") spec.params = parseJsonObject(opts.params, "--params");
    if (typeof opts.requires === "string") spec.requires = opts.requires.split(",").map((s) => s.trim()).filter(Boolean);
    if (typeof opts.priority === "string") spec.priority = Number(opts.priority);
    if (typeof opts.allocation === "string") spec.allocation = opts.allocation;
    if (typeof opts.assignee === "string") spec.assignee = opts.assignee;
    if (typeof opts.tenant === "string") spec.tenant = opts.tenant;
    if (typeof opts.retries === "string") spec.retries = Number(opts.retries);
    const deadlineMs = typeof opts.deadline === "string" ? parseDuration(opts.deadline) : undefined;
    const { withGateway } = await import("./tasks-remote.js");
    const final = await withGateway(opts, async (g) => {
      // the deadline is a gateway time: this machine's clock only sets how far ahead
      if (deadlineMs !== undefined) spec.deadline = Date.now() + deadlineMs;
      const created = await g.request<TaskRecord>("tasks/create", spec);
      return opts.wait ? g.waitFinal(created.id) : created;
    });
    if (opts.json) printJson(final);
    else printTable(["id", "type", "state", "prio", "allocation", "agent", "attempt", "tenant", "error", "updated"], [row(final)]);
    if (opts.wait && final.state !== "done") process.exitCode = EXIT.FAILURE;
  });

  addRemoteOptions(tasks.command("cancel <id>").description("cancel a task on the running gateway (over MQTT)").option("--reason <text>", "why", "cancelled from the command line").option("--json", "print JSON")).action(
    async (id: string, opts: RemoteOptions & { reason: string; json?: boolean }) => {
      const { withGateway } = await import("./tasks-remote.js");
      const t = await withGateway(opts, (g) => g.request<TaskRecord>(`tasks/${id}/cancel`, { reason: opts.reason }));
      if (opts.json) return printJson(t);
      process.stdout.write(`task ${t.id} ${t.state}\n`);
    },
  );
}
