import { describe, expect, it } from "vitest";
import type { Identity } from "../../src/bus/authorize.js";
import { TenantAuthorizer, tenantReplyTopic, type TenantAclModel } from "../../src/bus/tenant-authorizer.js";
import { isLosError } from "../../src/core/errors.js";
import { recordingLogger } from "./helpers.js";

const B = "los/v1/s1/gw1";
const model: TenantAclModel = {
  scope: { site: "s1", gateway: "gw1" },
  tenants: [
    { id: "A", topics: ["shared/weather/#"], messagesPerSecond: 20 },
    { id: "B", messagesPerSecond: 5 },
  ],
  devices: [{ id: "dA", tenant: "A" }, { id: "dB", tenant: "B" }, { id: "dX" }],
  agents: [
    { id: "agA", tenant: "A", subscribe: ["shared/weather/+/temp", "tenants/A/tasks/#", "tenants/B/#"], publish: ["x", "alerts/high"], messagesPerSecond: 7 },
    { id: "agAny", tenant: "A", publish: ["*"] },
    { id: "agB", tenant: "B", messagesPerSecond: 9 },
  ],
};
const who = (role: Identity["role"], username?: string, tenant?: string): Identity => ({
  role,
  clientId: `c-${username ?? role}`,
  ip: "127.0.0.1",
  listener: "tcp",
  ...(username !== undefined ? { username } : {}),
  ...(tenant !== undefined ? { tenant } : {}),
});
const alice = who("tenant", "alice", "A");
const agA = who("agent", "agA", "A");

describe("TenantAuthorizer rules", () => {
  const acl = new TenantAuthorizer(model);

  it("a tenant user subscribes inside its subtree, devices, agents, status and granted topics only", () => {
    for (const f of [`${B}/tenants/A/#`, `${B}/tenants/A/replies/+`, `${B}/devices/dA/state`, `${B}/devices/dA/#`, `${B}/agents/agA/status`, `${B}/agents/agA/#`, `${B}/status`, `${B}/shared/weather/#`, `${B}/shared/weather/x/temp`]) {
      expect(acl.canSubscribe(alice, f), f).toBe(true);
    }
    for (const f of [`${B}/tenants/B/#`, `${B}/tenants/+/replies/#`, `${B}/devices/dB/state`, `${B}/devices/dX/state`, `${B}/devices/+/state`, `${B}/agents/agB/#`, `${B}/agents/+/status`, `${B}/+/A/#`, `${B}/#`, `${B}/replies/#`, `${B}/audit`, "los/#", "los/v1/+/gw1/tenants/A/#", "#", "+/#", "$SYS/#", `${B}/shared/#`]) {
      expect(acl.canSubscribe(alice, f), f).toBe(false);
    }
  });

  it("a tenant user publishes in its subtree, to its devices' write topics and granted topics", () => {
    for (const t of [`${B}/tenants/A/x`, `${B}/tenants/A/replies/1`, `${B}/devices/dA/write`, `${B}/shared/weather/today`]) expect(acl.canPublish(alice, t), t).toBe(true);
    for (const t of [`${B}/tenants/B/x`, `${B}/devices/dB/write`, `${B}/devices/dX/write`, `${B}/devices/dA/state`, `${B}/agents/agA/in/tasks`, `${B}/status`, `${B}/replies/1`, "$SYS/x", `${B}/shared/other`]) {
      expect(acl.canPublish(alice, t), t).toBe(false);
    }
  });

  it("an agent user publishes under its own agents/<id>/ except in/ and status", () => {
    for (const t of [`${B}/agents/agA/out/x`, `${B}/agents/agA/register`, `${B}/agents/agA/heartbeat`]) expect(acl.canPublish(agA, t), t).toBe(true);
    for (const t of [`${B}/agents/agA/in/readings`, `${B}/agents/agA/status`, `${B}/agents/agB/out/x`, `${B}/agents/agB/in/tasks`, `${B}/tenants/A/x`, `${B}/devices/dA/write`]) {
      expect(acl.canPublish(agA, t), t).toBe(false);
    }
  });

  it("an agent user reads its in/ topics, status and the subscribe filters inside its tenant's topics", () => {
    for (const f of [`${B}/agents/agA/in/#`, `${B}/agents/agA/in/readings`, `${B}/status`, `${B}/shared/weather/+/temp`, `${B}/tenants/A/tasks/#`]) expect(acl.canSubscribe(agA, f), f).toBe(true);
    // tenants/B/# is outside its tenant's topics: dropped from its grants
    for (const f of [`${B}/tenants/B/#`, `${B}/agents/agB/in/#`, `${B}/agents/agA/#`, `${B}/agents/+/in/#`, `${B}/shared/weather/#`, `${B}/devices/dA/state`, "#"]) {
      expect(acl.canSubscribe(agA, f), f).toBe(false);
    }
  });

  it("warns about an agent subscribe filter outside its tenant's topics", () => {
    const logger = recordingLogger();
    new TenantAuthorizer(model, logger);
    expect(logger.entries.filter((e) => e.level === "warn").map((e) => e.obj.filter)).toEqual(["tenants/B/#"]);
  });

  it("an agent user publishes under out/ only actions and the sub-topics of its publish grant (`*`: any)", () => {
    for (const sub of ["actions", "x", "alerts/high"]) expect(acl.canPublish(agA, `${B}/agents/agA/out/${sub}`), sub).toBe(true);
    for (const sub of ["y", "alerts", "alerts/low", "x/deeper"]) expect(acl.canPublish(agA, `${B}/agents/agA/out/${sub}`), sub).toBe(false);
    expect(acl.canPublish(who("agent", "agAny", "A"), `${B}/agents/agAny/out/anything/at/all`)).toBe(true);
  });

  it("an agent user not in the config gets its own subtree only, out/ only for actions", () => {
    const stranger = who("agent", "ghost", "A");
    expect(acl.canPublish(stranger, `${B}/agents/ghost/out/actions`)).toBe(true);
    expect(acl.canPublish(stranger, `${B}/agents/ghost/out/x`)).toBe(false);
    expect(acl.canPublish(stranger, `${B}/agents/ghost/register`)).toBe(true);
    expect(acl.canSubscribe(stranger, `${B}/agents/ghost/in/#`)).toBe(true);
    expect(acl.canSubscribe(stranger, `${B}/tenants/A/#`)).toBe(false);
  });

  it("a tenant user of a tenant without config sees its subtree only; a tenant user without tenant sees nothing", () => {
    const u = who("tenant", "zed", "Z");
    expect(acl.canSubscribe(u, `${B}/tenants/Z/#`)).toBe(true);
    expect(acl.canPublish(u, `${B}/tenants/Z/a`)).toBe(true);
    expect(acl.canSubscribe(u, `${B}/tenants/A/#`)).toBe(false);
    const none = who("tenant", "none");
    expect(acl.canSubscribe(none, `${B}/status`)).toBe(false);
    expect(acl.canPublish(none, `${B}/tenants/A/a`)).toBe(false);
  });

  it("admin, readonly and anonymous keep the default policy", () => {
    expect(acl.canSubscribe(who("admin", "admin"), "$SYS/#")).toBe(true);
    expect(acl.canPublish(who("admin", "admin"), `${B}/tenants/B/x`)).toBe(true);
    expect(acl.canSubscribe(who("readonly", "v"), "#")).toBe(true);
    expect(acl.canPublish(who("readonly", "v"), `${B}/tenants/A/x`)).toBe(false);
    expect(acl.canPublish(who("anonymous"), `${B}/devices/dA/write`)).toBe(true);
    expect(acl.canSubscribe(who("anonymous"), "#")).toBe(false);
  });

  it("publish rates: tenant quota for its users, manifest limit for agents, bus default for others", () => {
    expect(acl.publishRateOf(alice)).toBe(20);
    expect(acl.publishRateOf(agA)).toBe(7);
    expect(acl.publishRateOf(who("admin", "admin"))).toBeUndefined();
    const withDefault = new TenantAuthorizer({ ...model, defaultMessagesPerSecond: 50 });
    expect(withDefault.publishRateOf(who("anonymous"))).toBe(50);
    expect(withDefault.publishRateOf(who("tenant", "bob", "B"))).toBe(5);
  });

  it("refuses granted topics that reach into other subtrees by wildcard", () => {
    for (const bad of ["#", "+/x", "devices/+/state", "tenants/#", "agents", "replies/+"]) {
      const err = (() => {
        try {
          new TenantAuthorizer({ ...model, tenants: [{ id: "A", topics: [bad] }] });
        } catch (e) {
          return e;
        }
      })();
      expect(isLosError(err, "LOS_E_CONFIG_INVALID"), bad).toBe(true);
    }
    // naming another subtree explicitly is the operator's choice
    const shared = new TenantAuthorizer({ ...model, tenants: [{ id: "A", topics: ["tenants/B/public/#"] }] });
    expect(shared.canSubscribe(alice, `${B}/tenants/B/public/#`)).toBe(true);
    expect(shared.canSubscribe(alice, `${B}/tenants/B/#`)).toBe(false);
  });

  it("an agent added after start: its tenant's users read its topics, its own user gets the agent rows", () => {
    const late = new TenantAuthorizer(model);
    expect(late.canSubscribe(alice, `${B}/agents/agLate/#`)).toBe(false);
    late.addAgent({ id: "agLate", tenant: "A", subscribe: ["shared/weather/#"], messagesPerSecond: 3 });
    expect(late.canSubscribe(alice, `${B}/agents/agLate/#`)).toBe(true);
    expect(late.canSubscribe(who("tenant", "bob", "B"), `${B}/agents/agLate/#`)).toBe(false);
    const agLate = who("agent", "agLate", "A");
    expect(late.canSubscribe(agLate, `${B}/shared/weather/#`)).toBe(true);
    expect(late.canPublish(agLate, `${B}/agents/agLate/register`)).toBe(true);
    expect(late.publishRateOf(agLate)).toBe(3);
  });

  it("device write topics are exact: a tenant owning many devices writes each of its own only", () => {
    const many = new TenantAuthorizer({ ...model, devices: Array.from({ length: 300 }, (_, i) => ({ id: `d${i}`, tenant: i % 2 ? "A" : "B" })) });
    expect(many.canPublish(alice, `${B}/devices/d1/write`)).toBe(true);
    expect(many.canPublish(alice, `${B}/devices/d2/write`)).toBe(false);
    expect(many.canPublish(alice, `${B}/devices/d1/write/x`)).toBe(false);
  });

  it("tenant reply topics live in the tenant's subtree", () => {
    expect(tenantReplyTopic(model.scope, "A", "42")).toBe(`${B}/tenants/A/replies/42`);
    expect(acl.canSubscribe(alice, tenantReplyTopic(model.scope, "A", "42"))).toBe(true);
  });
});
