import type { Command } from "commander";
import { isolationOf } from "../../config/agent-manifest.js";
import { printJson } from "../output.js";

export function validateCommand(program: Command): void {
  program
    .command("validate")
    .description("check a gateway config (and every profile it uses) or a device profile; exit 3 if invalid")
    .argument("<file>", "gateway config (.yaml) or, with --profile, a device profile")
    .option("--profile", "the file is a device profile")
    .option("--json", "print the result as JSON")
    .action(async (file: string, opts: { profile?: boolean; json?: boolean }) => {
      if (opts.profile) {
        const { loadProfileFile } = await import("../../config/profile-load.js");
        const p = loadProfileFile(file);
        if (opts.json) printJson({ ok: true, vendor: p.vendor, model: p.model, points: p.points.length });
        else process.stdout.write(`ok: profile ${p.vendor} ${p.model}, ${p.points.length} points\n`);
        return;
      }
      const { loadConfig } = await import("../../config/load.js");
      const c = loadConfig(file);
      const summary = {
        ok: true,
        site: c.config.site,
        gateway: c.config.gateway,
        dataDir: c.dataDir,
        devices: c.devices.map((d) => ({ id: d.id, profile: `${d.profile.vendor} ${d.profile.model}`, points: d.profile.points.length })),
        agents: (c.config.agents ?? []).map((a) => ({ id: a.id, isolation: isolationOf(a), policy: a.policy?.kind ?? "none" })),
      };
      if (opts.json) printJson(summary);
      else {
        process.stdout.write(`ok: ${c.file}: site ${summary.site}, gateway ${summary.gateway}, ${summary.devices.length} devices, ${summary.agents.length} agents\n`);
      }
    });
}
