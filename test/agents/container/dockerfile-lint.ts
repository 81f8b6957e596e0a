/**
 * Lint a Dockerfile parsed by dockerfile-ast (the parser of the Docker language server): what a
 * container agent's image must respect. Returns the problems found; empty means it passes.
 */
import { DockerfileParser, type Copy, type Instruction, type JSONInstruction } from "dockerfile-ast";

export interface LintResult {
  problems: string[];
  /** the final stage's ENTRYPOINT and CMD, decoded from their JSON (exec) form */
  entrypoint: string[] | undefined;
  cmd: string[] | undefined;
  user: string | undefined;
}

function execForm(i: Instruction): string[] | undefined {
  const j = i as JSONInstruction;
  if (typeof j.getJSONStrings !== "function" || j.getOpeningBracket() === null || j.getClosingBracket() === null) return undefined;
  return j.getJSONStrings().map((s) => JSON.parse(s.getValue()) as string);
}

/** `contextFiles`: paths in the build context, to check that every COPY source exists. */
export function lintDockerfile(text: string, contextFiles: ReadonlySet<string>): LintResult {
  const problems: string[] = [];
  const df = DockerfileParser.parse(text);
  const froms = df.getFROMs();
  if (froms.length === 0) problems.push("no FROM");
  for (const f of froms) {
    if (f.getImageTag() === null && f.getImageDigest() === null) problems.push(`FROM ${String(f.getImage())}: no tag or digest`);
    if (f.getImageTag() === "latest") problems.push(`FROM ${String(f.getImage())}: tag latest is not reproducible`);
  }
  const all = df.getInstructions();
  const lastFrom = froms.at(-1);
  const finalStage = lastFrom ? all.filter((i) => i.getRange().start.line > lastFrom.getRange().start.line) : [];
  const of = (kw: string) => finalStage.filter((i) => i.getKeyword() === kw);

  const entrypoints = of("ENTRYPOINT");
  if (entrypoints.length !== 1) problems.push(`the final stage needs exactly one ENTRYPOINT, found ${entrypoints.length}`);
  const entrypoint = entrypoints[0] ? execForm(entrypoints[0]) : undefined;
  if (entrypoints[0] && !entrypoint) problems.push("ENTRYPOINT is in shell form (needs a shell at run time)");
  const cmds = of("CMD");
  if (cmds.length > 1) problems.push(`more than one CMD (${cmds.length})`);
  const cmd = cmds[0] ? execForm(cmds[0]) : undefined;
  if (cmds[0] && !cmd) problems.push("CMD is in shell form (needs a shell at run time)");

  const user = of("USER").at(-1)?.getArgumentsContent() ?? undefined;
  if (user === undefined) problems.push("no USER in the final stage: the container would run as root");
  else if (/^(root|0)(:|$)/.test(user)) problems.push(`USER ${user} is root`);
  if (of("HEALTHCHECK").length !== 1) problems.push("the final stage needs one HEALTHCHECK (NONE says it is deliberate)");

  for (const i of all) {
    const kw = i.getKeyword();
    if (kw === "ADD") {
      const args = i.getArguments().map((a) => a.getValue());
      if (args.some((a) => /^(https?|git|ssh):\/\/|^git@/.test(a))) problems.push(`ADD of a URL (line ${i.getRange().start.line + 1})`);
      else problems.push(`ADD where COPY does (line ${i.getRange().start.line + 1})`);
    }
    if (kw === "RUN" && !execForm(i)) problems.push(`RUN in shell form (line ${i.getRange().start.line + 1})`);
    if (kw === "COPY" && (i as Copy).getFromFlag() === null) {
      const sources = i.getArguments().map((a) => a.getValue()).filter((a) => !a.startsWith("--")).slice(0, -1);
      for (const s of sources) {
        const path = s.replace(/\/$/, "");
        const present = contextFiles.has(path) || [...contextFiles].some((f) => f.startsWith(`${path}/`));
        if (!present) problems.push(`COPY ${s}: not in the build context`);
      }
    }
  }
  return { problems, entrypoint, cmd, user };
}
