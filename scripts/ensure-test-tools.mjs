#!/usr/bin/env node
// Before the tests: serial tests run Modbus RTU over socat pty pairs. Install socat from Debian
// when it is missing and we may (root with apt-get); otherwise say exactly what to install.
import { execFileSync } from "node:child_process";

function has(cmd) {
  try {
    execFileSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

if (!has("socat")) {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root && has("apt-get")) {
    console.error("tests need socat (serial pty pairs): installing it with apt-get");
    execFileSync("sh", ["-c", "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq socat >/dev/null"], { stdio: "inherit" });
  } else {
    console.error("tests need socat for serial pty pairs: install it (Debian/Ubuntu: sudo apt-get install socat)");
    process.exit(1);
  }
}
