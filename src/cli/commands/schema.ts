import type { Command } from "commander";

export function schemaCommand(program: Command): void {
  program
    .command("schema")
    .description("write the JSON Schema files of the gateway config and device profiles (for editors)")
    .option("-o, --out <dir>", "output directory", "schema")
    .action(async (opts: { out: string }) => {
      const { writeSchemaFiles } = await import("../../config/json-schema.js");
      for (const file of writeSchemaFiles(opts.out)) process.stdout.write(`wrote ${file}\n`);
    });
}
