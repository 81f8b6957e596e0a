/**
 * Read a YAML file keeping enough of the document to point at the line of a bad value.
 */
import { readFileSync } from "node:fs";
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from "yaml";
import { LosError, type ErrorCode } from "../core/errors.js";
import { formatPath, type SchemaProblem } from "./validate.js";

export interface YamlFile {
  file: string;
  value: unknown;
  /** 1-based line and column of the node at `path`, or of its nearest existing parent. */
  locate(path: (string | number)[]): { line: number; col: number } | undefined;
}

export function readYamlFile(file: string, notFound: ErrorCode, parseError: ErrorCode): YamlFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new LosError(notFound, `${file}: cannot read (${(cause as NodeJS.ErrnoException).code ?? cause})`, {
      cause,
      details: { file },
    });
  }
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    const first = doc.errors[0]!;
    const pos = lineCounter.linePos(first.pos[0]);
    throw new LosError(parseError, `${file}:${pos.line}:${pos.col}: ${first.message.split("\n")[0]}`, {
      details: { file, line: pos.line, col: pos.col },
    });
  }
  return {
    file,
    value: doc.toJS({ maxAliasCount: 100 }),
    locate(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = nodeAt(doc, path.slice(0, n));
        if (isNode(node) && node.range) return lineCounter.linePos(node.range[0]);
      }
      return undefined;
    },
  };
}

/**
 * The node naming `path`: for a map entry its key (so an unknown key whose value is a block points at
 * the key's line, not the next one), for a sequence item the item itself.
 */
function nodeAt(doc: Document, path: (string | number)[]): unknown {
  if (path.length === 0) return doc.contents;
  const parent = doc.getIn(path.slice(0, -1), true);
  const last = path[path.length - 1];
  if (isMap(parent)) {
    const pair = parent.items.find((p) => (isScalar(p.key) ? p.key.value : p.key) === last);
    return pair?.key;
  }
  if (isSeq(parent) && typeof last === "number") return parent.items[last];
  return undefined;
}

/** One coded error listing every problem as `file:line path: message`. */
export function problemsError(code: ErrorCode, yaml: YamlFile, problems: SchemaProblem[]): LosError {
  const lines = problems.map((p) => {
    const at = yaml.locate(p.path);
    return `  ${yaml.file}${at ? `:${at.line}:${at.col}` : ""} ${formatPath(p.path)}: ${p.message}`;
  });
  const what = code === "LOS_E_PROFILE_INVALID" ? "device profile" : "config";
  return new LosError(code, `invalid ${what} ${yaml.file}:\n${lines.join("\n")}`, {
    details: {
      file: yaml.file,
      problems: problems.map((p) => ({ path: formatPath(p.path), message: p.message, line: yaml.locate(p.path)?.line })),
    },
  });
}
