import { readFileSync, readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { SCHEMA_FILES, renderSchemaFiles, writeSchemaFiles } from "../../src/config/json-schema.js";
import { tempDir } from "./helpers.js";

const SCHEMA_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../../schema");

describe("JSON Schema files", () => {
  it("the committed files in schema/ equal the rendered ones (run `npm run schema` after a schema change)", () => {
    const rendered = renderSchemaFiles();
    expect(Object.keys(rendered).sort()).toEqual(Object.keys(SCHEMA_FILES).sort());
    for (const [name, text] of Object.entries(rendered)) {
      expect(readFileSync(join(SCHEMA_DIR, name), "utf8"), `schema/${name} is stale`).toBe(text);
    }
  });

  it("schema/ holds no stale extra schema files", () => {
    const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".schema.json"));
    expect(files.sort()).toEqual(Object.keys(SCHEMA_FILES).sort());
  });

  it("each file is a draft-07 document with an $id and title, forbidding unknown keys at the top", () => {
    for (const [name, text] of Object.entries(renderSchemaFiles())) {
      const doc = JSON.parse(text) as Record<string, unknown>;
      expect(doc.$schema).toBe("http://json-schema.org/draft-07/schema#");
      expect(doc.$id).toBe(`https://llmagentos.dev/schema/${name}`);
      expect(typeof doc.title).toBe("string");
      // a tagged union (profiles, one variant per protocol) forbids unknown keys in every variant
      const variants = (doc.anyOf as Record<string, unknown>[] | undefined) ?? [doc];
      for (const v of variants) expect(v.additionalProperties).toBe(false);
      expect(text.endsWith("}\n")).toBe(true);
    }
  });

  it("the gateway schema lets a config carry its own $schema key (for editors)", () => {
    const doc = JSON.parse(renderSchemaFiles()["gateway.schema.json"]!) as { properties: Record<string, unknown> };
    expect(doc.properties.$schema).toBeDefined();
  });

  it("writeSchemaFiles writes exactly the rendered files", () => {
    const { dir, cleanup } = tempDir();
    try {
      const written = writeSchemaFiles(join(dir, "out"));
      const rendered = renderSchemaFiles();
      expect(written.map((f) => f.slice(f.lastIndexOf("/") + 1)).sort()).toEqual(Object.keys(rendered).sort());
      for (const file of written) expect(readFileSync(file, "utf8")).toBe(rendered[file.slice(file.lastIndexOf("/") + 1)]);
    } finally {
      cleanup();
    }
  });
});
