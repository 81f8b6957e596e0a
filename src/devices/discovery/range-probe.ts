/**
 * Find which addresses of one register kind a device lets us read, with few requests: read whole
 * blocks, and split a block in halves only when the device refuses it with exception 02 (Illegal
 * Data Address) or 03 (Illegal Data Value, which some devices answer for a count they dislike).
 * A block of n addresses costs at most 2n - 1 requests, so a kind of N addresses at most 2N.
 */

export type ProbeAnswer =
  | { ok: true; data: readonly (number | boolean)[] }
  /** refused: the addresses (or the count) are not readable here; split and retry */
  | { ok: false; reason: "refused" }
  /** the function itself is not supported (exception 01): stop probing this kind */
  | { ok: false; reason: "unsupported" }
  /** no answer in time: skip this block without splitting (each retry would cost a timeout) */
  | { ok: false; reason: "timeout" };

/** One read of `count` addresses from `address`. Errors other than the answers above are thrown. */
export type BlockReader = (address: number, count: number) => Promise<ProbeAnswer>;

export interface AddressRun {
  start: number;
  /** the raw value of each address, as read */
  values: (number | boolean)[];
}

export interface KindProbe {
  /** readable addresses, merged into runs, in address order */
  runs: AddressRun[];
  /** false when the device answered exception 01 (function not supported) */
  supported: boolean;
  /** blocks that timed out and were skipped */
  skipped: { start: number; count: number }[];
  requests: number;
  /** the largest block the device answered in one read */
  largestBlock: number;
}

export interface ProbeOptions {
  /** first address probed (default 0) */
  from?: number;
  /** last address probed, inclusive */
  to: number;
  /** addresses per request (125 for registers, 2000 for bits at most) */
  maxBlock: number;
}

/** Probe addresses `from..to` of one kind through `read`. */
export async function probeRanges(read: BlockReader, options: ProbeOptions): Promise<KindProbe> {
  const from = options.from ?? 0;
  const found = new Map<number, number | boolean>();
  const result: KindProbe = { runs: [], supported: true, skipped: [], requests: 0, largestBlock: 0 };

  const probe = async (address: number, count: number): Promise<void> => {
    if (!result.supported) return;
    result.requests++;
    const answer = await read(address, count);
    if (answer.ok) {
      answer.data.slice(0, count).forEach((v, i) => found.set(address + i, v));
      result.largestBlock = Math.max(result.largestBlock, count);
    } else if (answer.reason === "unsupported") {
      result.supported = false;
    } else if (answer.reason === "timeout") {
      result.skipped.push({ start: address, count });
    } else if (count > 1) {
      const half = Math.ceil(count / 2);
      await probe(address, half);
      await probe(address + half, count - half);
    }
  };

  for (let start = from; start <= options.to && result.supported; start += options.maxBlock) {
    await probe(start, Math.min(options.maxBlock, options.to - start + 1));
  }
  result.runs = mergeRuns(found);
  return result;
}

function mergeRuns(found: Map<number, number | boolean>): AddressRun[] {
  const runs: AddressRun[] = [];
  for (const address of [...found.keys()].sort((a, b) => a - b)) {
    const last = runs[runs.length - 1];
    const value = found.get(address)!;
    if (last && last.start + last.values.length === address) last.values.push(value);
    else runs.push({ start: address, values: [value] });
  }
  return runs;
}
