import type { Command } from "commander";
import { writeSchemaFiles } from "../../config/json-schema.js";

export function schemaCommand(program: Command): void {
  program
    .command("schema")
    .description("write the JSON Schema files of the gateway config and device profiles (for editors)")
    .option("-o, --out <dir>", "output directory", "schema")
    .action((opts: { out: string }) => {
      for (const file of writeSchemaFiles(opts.out)) process.stdout.write(`wrote ${file}\n`);
    });
}
