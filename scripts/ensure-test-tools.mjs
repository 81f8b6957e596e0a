#!/usr/bin/env node
// Before the tests: install what they need from Debian (socat, bubblewrap, python3-paho-mqtt) when
// it is missing and we may (root with apt-get); otherwise say exactly what to install.
import { execFileSync } from "node:child_process";

function has(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

/** Debian packages the tests need, each with the check that says it is there. */
const NEEDED = [
  { pkg: "socat", why: "serial pty pairs", present: () => has("socat") },
  { pkg: "bubblewrap", why: "the sandbox of process-isolated agents", present: () => has("bwrap") },
  { pkg: "python3-paho-mqtt", why: "the example Python agent", present: () => pythonHasPaho() },
];

function pythonHasPaho() {
  try {
    execFileSync("/usr/bin/python3", ["-c", "import paho.mqtt"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

const missing = NEEDED.filter((n) => !n.present());
if (missing.length > 0) {
  const names = missing.map((m) => m.pkg).join(" ");
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && has("apt-get")) {
    console.error(`tests need ${missing.map((m) => `${m.pkg} (${m.why})`).join(", ")}: installing with apt-get`);
    execFileSync("sh", ["-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${names} >/dev/null`], { stdio: "inherit" });
  } else {
    console.error(`tests need ${missing.map((m) => `${m.pkg} (${m.why})`).join(", ")}: install them (Debian/Ubuntu: sudo apt-get install ${names})`);
    process.exit(1);
  }
}
