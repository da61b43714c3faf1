// Small statistics for the benchmark: nearest-rank percentiles and medians. Every ratio the report
// shows is computed within one run (both sides measured in that run, interleaved) and only then
// summarised across runs by its median.

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN for none. */
export const percentile = (samples: readonly number[], p: number): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] ?? Number.NaN;
};

export const median = (samples: readonly number[]): number => {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const high = sorted[middle] ?? Number.NaN;
  return sorted.length % 2 === 1 ? high : ((sorted[middle - 1] ?? Number.NaN) + high) / 2;
};

/** Rounded for the JSON file: numbers stay numbers, with `digits` significant decimals. */
export const round = (value: number, digits = 3): number =>
  Number.isFinite(value) ? Number(value.toFixed(digits)) : value;

/** The median of one field over per-run records. */
export const medianOf = <T>(runs: readonly T[], pick: (run: T) => number): number =>
  median(runs.map(pick));

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
