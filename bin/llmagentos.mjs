#!/usr/bin/env node
// The llmagentos command: TypeScript sources run through tsx's loader, so a clone needs no build step.
import { register } from "tsx/esm/api";

register();
await import("../src/cli/main.ts");
