/**
 * Kubernetes objects for a container agent: a Pod (a bare Pod, because only a Pod can carry the
 * manifest's restart strategy: a Deployment allows restartPolicy Always only) and a NetworkPolicy that
 * lets the pod reach the gateway's MQTT port and nothing else. The MQTT password comes from a Secret
 * the operator creates; no secret value is ever written into a spec.
 */
import { isIP } from "node:net";
import {
  AGENT_UID,
  cmdOf,
  DATA_DIR,
  DEFAULT_CPU_REQUEST_MILLI,
  labelsOf,
  MEMORY_HEADROOM_MIB,
  type ContainerAgent,
} from "./container-agent.js";

type Json = Record<string, unknown>;

const RESTART_POLICY = { permanent: "Always", transient: "OnFailure", temporary: "Never" } as const;

/** requests and limits: memory = heapMB + headroom (requests = limits: no overcommit on a small box); CPU 100% = 1000m */
export function resourcesOf(a: ContainerAgent): { requests: Record<string, string>; limits: Record<string, string> } {
  const memory = `${Math.ceil(a.manifest.limits.heapMB) + MEMORY_HEADROOM_MIB}Mi`;
  const cpuPercent = a.manifest.limits.cpuPercent;
  if (cpuPercent === undefined) return { requests: { cpu: `${DEFAULT_CPU_REQUEST_MILLI}m`, memory }, limits: { memory } };
  const cpu = `${Math.max(1, Math.round(cpuPercent * 10))}m`;
  return { requests: { cpu, memory }, limits: { cpu, memory } };
}

function metadataOf(a: ContainerAgent, name: string): Json {
  const annotations: Record<string, string> = { "llmagentos.io/agent-id": a.id };
  if (a.tenant !== undefined) annotations["llmagentos.io/tenant-id"] = a.tenant;
  return { name, labels: labelsOf(a), annotations };
}

export function podOf(a: ContainerAgent): Json {
  // a fresh object per use: a shared one would come out as a YAML anchor and alias
  const restrictive = () => ({ type: "RuntimeDefault" });
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: metadataOf(a, `llmagentos-agent-${a.name}`),
    spec: {
      restartPolicy: RESTART_POLICY[a.manifest.restart.strategy],
      automountServiceAccountToken: false,
      enableServiceLinks: false,
      terminationGracePeriodSeconds: 10,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: AGENT_UID,
        runAsGroup: AGENT_UID,
        seccompProfile: restrictive(),
      },
      containers: [
        {
          name: "agent",
          image: a.image,
          imagePullPolicy: "IfNotPresent",
          // an agent that brings its own image gets the same facts as environment variables only
          ...(a.runsPolicy ? { args: cmdOf(a) } : {}),
          env: [
            { name: "LOS_GATEWAY_URL", value: a.gatewayUrl.url },
            { name: "LOS_SITE", value: a.site },
            { name: "LOS_GATEWAY_ID", value: a.gateway },
            { name: "LOS_AGENT_ID", value: a.id },
            { name: a.passwordEnv, valueFrom: { secretKeyRef: { name: a.secretName, key: "password" } } },
          ],
          resources: resourcesOf(a),
          securityContext: {
            runAsNonRoot: true,
            readOnlyRootFilesystem: true,
            allowPrivilegeEscalation: false,
            privileged: false,
            capabilities: { drop: ["ALL"] },
            seccompProfile: restrictive(),
          },
          volumeMounts: [
            { name: "data", mountPath: DATA_DIR },
            { name: "tmp", mountPath: "/tmp" },
          ],
        },
      ],
      volumes: [
        { name: "data", emptyDir: { sizeLimit: "16Mi" } },
        { name: "tmp", emptyDir: { sizeLimit: "64Mi" } },
      ],
    },
  };
}

/** No ingress; egress to the gateway's MQTT port only (and DNS when the gateway is a host name). */
export function networkPolicyOf(a: ContainerAgent): Json {
  const { host, port } = a.gatewayUrl;
  const mqtt: Json = { ports: [{ protocol: "TCP", port }] };
  const ip = isIP(host);
  if (ip !== 0) mqtt.to = [{ ipBlock: { cidr: `${host}/${ip === 4 ? 32 : 128}` } }];
  const egress: Json[] = [mqtt];
  if (ip === 0) {
    egress.push({ ports: [{ protocol: "UDP", port: 53 }, { protocol: "TCP", port: 53 }] });
  }
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: metadataOf(a, `llmagentos-agent-${a.name}`),
    spec: {
      podSelector: { matchLabels: { "llmagentos.io/agent": a.name, "app.kubernetes.io/part-of": "llmagentos" } },
      policyTypes: ["Ingress", "Egress"],
      ingress: [],
      egress,
    },
  };
}
