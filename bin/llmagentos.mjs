#!/usr/bin/env node
// The llmagentos command. Runs the compiled JavaScript in dist/ (`npm run build`; `npm install` in a
// clone builds it) when no file in src/ or simulators/ is newer than the build, else the TypeScript
// sources through tsx's loader (slower to start, same behaviour). LLMAGENTOS_RUNTIME=dist|tsx forces
// one. See bin/runtime.mjs and README.md (Development).
import { chooseRuntime, tuneV8 } from "./runtime.mjs";

tuneV8();
if (chooseRuntime() === "dist") {
  await import("../dist/src/cli/main.js");
} else {
  const { register } = await import("tsx/esm/api");
  register();
  await import("../src/cli/main.ts");
}
