/** The command lines of the sandbox layers: Node's permission flags and bubblewrap's arguments. */
import { describe, expect, it } from "vitest";
import { nodePermissionArgs, permissionFlag } from "../../../src/agents/isolation/node-permissions.js";
import { bwrapArgs, useBwrap } from "../../../src/agents/isolation/sandbox.js";

describe("node permission flags", () => {
  it("use --experimental-permission before Node 22 and --permission from 22 on", () => {
    expect(permissionFlag("20.19.0")).toBe("--experimental-permission");
    expect(permissionFlag("21.7.3")).toBe("--experimental-permission");
    expect(permissionFlag("22.12.0")).toBe("--permission");
    expect(permissionFlag("24.1.0")).toBe("--permission");
  });

  it("allow reads of the given paths only, one flag each, and cap the heap; nothing else is allowed", () => {
    const args = nodePermissionArgs({ readPaths: ["/opt/los/dist/src/", "/var/lib/los/process-agents/a.mjs"], heapMB: 48, nodeVersion: "20.19.0" });
    expect(args).toContain("--experimental-permission");
    expect(args.filter((a) => a.startsWith("--allow-fs-read="))).toEqual(["--allow-fs-read=/opt/los/dist/src/", "--allow-fs-read=/var/lib/los/process-agents/a.mjs"]);
    expect(args).toContain("--max-old-space-size=48");
    expect(args.filter((a) => /--allow-(fs-write|child-process|worker|addons)/.test(a))).toEqual([]);
  });
});

describe("bubblewrap", () => {
  it("unshares the network, pid, ipc and uts namespaces, drops capabilities and binds the code read-only", () => {
    const args = bwrapArgs({ readPaths: ["/opt/los/dist/src/", "/var/lib/los/process-agents/a.mjs"], execPath: "/usr/bin/node" });
    for (const flag of ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session"]) expect(args).toContain(flag);
    expect(args.join(" ")).toContain("--cap-drop ALL");
    expect(args.join(" ")).toContain("--ro-bind /opt/los/dist/src /opt/los/dist/src");
    expect(args.join(" ")).toContain("--ro-bind /var/lib/los/process-agents/a.mjs /var/lib/los/process-agents/a.mjs");
    expect(args.join(" ")).toContain("--tmpfs /tmp");
    expect(args.at(-1)).toBe("--");
    // nothing of /etc, /home, /root or the data dir as a whole
    expect(args.some((a) => a === "/etc" || a === "/home" || a === "/root" || a === "/var/lib/los")).toBe(false);
  });

  it("binds the install prefix of a node outside /usr", () => {
    expect(bwrapArgs({ readPaths: [], execPath: "/opt/node-v22/bin/node" }).join(" ")).toContain("--ro-bind /opt/node-v22 /opt/node-v22");
  });

  it("required without the executable is LOS_E_AGENT_SANDBOX; auto falls back; off never uses it", () => {
    expect(() => useBwrap("required", "/nonexistent/bwrap")).toThrow(expect.objectContaining({ code: "LOS_E_AGENT_SANDBOX" }));
    expect(useBwrap("auto", "/nonexistent/bwrap")).toBe(false);
    expect(useBwrap("off", "/usr/bin/bwrap")).toBe(false);
    expect(useBwrap("required", "/usr/bin/bwrap")).toBe(true);
  });
});
