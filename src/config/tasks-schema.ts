/**
 * The gateway config's `tasks:` section: defaults a task spec does not set (auction, negotiation,
 * lease), how many tasks are allocated at once, and how long finished tasks are kept.
 * Defaults are applied in src/tasks/task-defaults.ts (TypeBox-free: the running gateway need not load it).
 */
import { Type, type Static } from "@sinclair/typebox";

export const TasksAuctionDefaults = Type.Object(
  {
    objective: Type.Optional(Type.Union([Type.Literal("max"), Type.Literal("min")], { description: "max: highest bid wins; min: lowest (costs)" })),
    rule: Type.Optional(Type.Union([Type.Literal("first-price"), Type.Literal("second-price")])),
    bidWindowMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000, description: "how long bidders have to answer (default 500)" })),
    confirmMs: Type.Optional(Type.Integer({ minimum: 10, maximum: 600_000, description: "how long a winner has to confirm (default 1000)" })),
    maxRounds: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "announce rounds before the task fails (default 3)" })),
  },
  { additionalProperties: false },
);

export const TasksConfig = Type.Object(
  {
    auction: Type.Optional(TasksAuctionDefaults),
    negotiation: Type.Optional(
      Type.Object(
        { maxRounds: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, description: "rounds of counter-proposals (default 4)" })) },
        { additionalProperties: false },
      ),
    ),
    leaseMs: Type.Optional(Type.Integer({ minimum: 100, maximum: 3_600_000, description: "task lease (default 3 × the winner's heartbeat, at least 1000)" })),
    concurrency: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, description: "tasks allocated at the same time (default 8)" })),
    keepDays: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: "finished tasks and their events are deleted after this many days (default 7)" })),
  },
  { additionalProperties: false },
);

export type TasksConfig = Static<typeof TasksConfig>;
