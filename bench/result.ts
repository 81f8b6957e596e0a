/** One line of the bench table and of the JSON report. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  /** e.g. ">= 20000" or "<= 7"; omitted when the figure is informative only */
  goal?: string;
  /** set by `judge` from `goal` */
  pass?: boolean;
  note?: string;
}

export function judge(r: BenchResult): BenchResult {
  if (!r.goal) return r;
  const m = /^(<=|>=|<|>)\s*([\d.]+)/.exec(r.goal);
  if (!m) return r;
  const limit = Number(m[2]);
  const pass = m[1] === "<=" ? r.value <= limit : m[1] === ">=" ? r.value >= limit : m[1] === "<" ? r.value < limit : r.value > limit;
  return { ...r, pass };
}

export const round = (v: number, digits = 2): number => Number(v.toFixed(digits));
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
