import { Pod } from "kubernetes-models/v1/Pod";
import { NetworkPolicy } from "kubernetes-models/networking.k8s.io/v1/NetworkPolicy";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { resolveContainerAgent } from "../../../src/agents/container/container-agent.js";
import { networkPolicyOf, podOf } from "../../../src/agents/container/k8s-spec.js";
import { agentSpecSet } from "../../../src/agents/container/spec-set.js";
import { containerConfig } from "./helpers.js";

const ARM64 = { os: "linux", architecture: "arm64" };
type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Validation by the Kubernetes OpenAPI schemas as compiled in kubernetes-models; throws on a violation. */
function validateK8s(o: Obj): void {
  if (o.kind === "Pod") new Pod(o as ConstructorParameters<typeof Pod>[0]).validate();
  else if (o.kind === "NetworkPolicy") new NetworkPolicy(o as ConstructorParameters<typeof NetworkPolicy>[0]).validate();
  else throw new Error(`unexpected kind ${String(o.kind)}`);
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

describe("Kubernetes objects of a container agent", () => {
  const loaded = containerConfig();

  it("k8s.yaml holds a Pod and a NetworkPolicy that pass the Kubernetes OpenAPI schemas", () => {
    const set = agentSpecSet(loaded, "Vent_Ctl", { format: "k8s", platform: ARM64 });
    const docs = parseAllDocuments(String(set.files.get("k8s.yaml"))).map((d) => d.toJS() as Obj | null).filter((d) => d !== null);
    expect(docs.map((d) => d.kind)).toEqual(["Pod", "NetworkPolicy"]);
    for (const d of docs) expect(() => validateK8s(d)).not.toThrow();
  });

  it("the validator rejects what an API server would: a bad restart policy, quantity or port", () => {
    const pod = podOf(resolveContainerAgent(loaded, "Vent_Ctl")) as Obj;
    pod.spec.restartPolicy = "Sometimes";
    pod.spec.containers[0].resources.limits.memory = "lots";
    expect(() => validateK8s(pod)).toThrow(/restartPolicy.*|memory/);
    const np = networkPolicyOf(resolveContainerAgent(loaded, "Vent_Ctl")) as Obj;
    np.spec.egress[0].ports[0].protocol = 7;
    expect(() => validateK8s(np)).toThrow(/protocol/);
  });

  it("limits map to requests and limits: cpuPercent 100 = 1000m, memory = heapMB + 96Mi headroom", () => {
    const pod = podOf(resolveContainerAgent(loaded, "Vent_Ctl")) as Obj;
    expect(pod.spec.containers[0].resources).toEqual({ requests: { cpu: "250m", memory: "144Mi" }, limits: { cpu: "250m", memory: "144Mi" } });
    // no cpuPercent: a small request and no CPU cap; heap default 64 MB
    const band = podOf(resolveContainerAgent(loaded, "band")) as Obj;
    expect(band.spec.containers[0].resources).toEqual({ requests: { cpu: "50m", memory: "160Mi" }, limits: { memory: "160Mi" } });
  });

  it("maps the restart strategy: transient → OnFailure, temporary → Never, permanent → Always", () => {
    expect((podOf(resolveContainerAgent(loaded, "Vent_Ctl")) as Obj).spec.restartPolicy).toBe("OnFailure");
    expect((podOf(resolveContainerAgent(loaded, "py-vent")) as Obj).spec.restartPolicy).toBe("Never");
    expect((podOf(resolveContainerAgent(loaded, "band")) as Obj).spec.restartPolicy).toBe("Always");
  });

  it("runs locked down: non-root, read-only root, no privilege escalation, no capabilities, RuntimeDefault seccomp", () => {
    const spec = (podOf(resolveContainerAgent(loaded, "Vent_Ctl")) as Obj).spec;
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: "RuntimeDefault" } });
    expect(spec.automountServiceAccountToken).toBe(false);
    expect(spec.containers[0].securityContext).toEqual({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      privileged: false,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    // the only writable places are the mounted emptyDirs
    expect(spec.containers[0].volumeMounts.map((m: Obj) => m.mountPath)).toEqual(["/app/agent/data", "/tmp"]);
  });

  it("takes the password from a Secret, the gateway URL from the config, and labels tenant and agent", () => {
    const pod = podOf(resolveContainerAgent(loaded, "Vent_Ctl")) as Obj;
    const c = pod.spec.containers[0];
    expect(c.env).toContainEqual({ name: "LOS_AGENT_PASSWORD", valueFrom: { secretKeyRef: { name: "llmagentos-agent-vent-ctl-7bcf21", key: "password" } } });
    expect(JSON.stringify(c.env)).not.toMatch(/"value":"[^"]*password/i);
    // the routable listener (10.20.0.5:1884), not the loopback one
    expect(c.args).toEqual(["--url", "mqtt://10.20.0.5:1884"]);
    expect(pod.metadata.labels).toMatchObject({ "llmagentos.io/tenant": "growers", "llmagentos.io/agent": "vent-ctl-7bcf21" });
    expect(pod.metadata.annotations["llmagentos.io/agent-id"]).toBe("Vent_Ctl");
    expect(pod.metadata.name).toMatch(DNS_SUBDOMAIN);
    for (const v of Object.values(pod.metadata.labels as Record<string, string>)) expect(v).toMatch(LABEL_VALUE);
  });

  it("an agent with its own image: its image and passwordEnv, facts as env, no run-agent args", () => {
    const set = agentSpecSet(loaded, "py-vent", { format: "all", platform: ARM64 });
    expect([...set.files.keys()]).toEqual(["k8s.yaml"]);
    const c = (podOf(set.agent) as Obj).spec.containers[0];
    expect(c.image).toBe("registry.example/growers/py-vent:1.2");
    expect(c.args).toBeUndefined();
    expect(c.env).toContainEqual({ name: "LOS_PW_PY_VENT", valueFrom: { secretKeyRef: { name: "llmagentos-agent-py-vent", key: "password" } } });
    expect(c.env).toContainEqual({ name: "LOS_AGENT_ID", value: "py-vent" });
    expect(() => validateK8s(podOf(set.agent) as Obj)).not.toThrow();
  });

  it("NetworkPolicy: no ingress; egress only to the gateway's MQTT port (plus DNS for a host name)", () => {
    const byIp = networkPolicyOf(resolveContainerAgent(loaded, "Vent_Ctl")) as Obj;
    expect(byIp.spec.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(byIp.spec.ingress).toEqual([]);
    expect(byIp.spec.egress).toEqual([{ ports: [{ protocol: "TCP", port: 1884 }], to: [{ ipBlock: { cidr: "10.20.0.5/32" } }] }]);
    const byName = networkPolicyOf(resolveContainerAgent(loaded, "Vent_Ctl", { gatewayUrl: "mqtts://gateway.farm.local" })) as Obj;
    expect(byName.spec.egress).toEqual([
      { ports: [{ protocol: "TCP", port: 8883 }] },
      { ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] },
    ]);
    expect(() => validateK8s(byName)).not.toThrow();
  });
});
