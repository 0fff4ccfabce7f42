// The contract between each benchmark and the runner (bench/run.ts): a benchmark prints its figures as it likes
// for people, and ends with one machine-readable line on stdout:
//   BENCH_RESULT {"bench":"ingest","figures":[{"name":"api_vs_raw_sequential","value":0.59,"unit":"ratio",
//                 "target":{"op":">=","value":0.5},"met":true}]}
// The runner collects these lines, prints the summary and rewrites the results block of doc/performance.md.

export const RESULT_PREFIX = 'BENCH_RESULT ';

/** A target as a comparison the figure must pass: `{ op: '>=', value: 0.7 }` reads "at least 0.70". */
export interface BenchTarget {
  op: '>=' | '>' | '<=' | '<';
  value: number;
}

export interface BenchFigure {
  /** snake_case, stable across runs (the doc's table is keyed by bench and name). */
  name: string;
  value: number;
  /** `ratio`, `req/s`, `rows/s`, `ms`, `MB`, `s`, `count` … */
  unit: string;
  /** null: printed for context, no target. */
  target: BenchTarget | null;
  /** null when there is no target, or when the value is not a number (a run that could not measure it). */
  met: boolean | null;
}

export interface BenchResult {
  bench: string;
  figures: BenchFigure[];
}

export function meets(value: number, target: BenchTarget): boolean {
  switch (target.op) {
    case '>=':
      return value >= target.value;
    case '>':
      return value > target.value;
    case '<=':
      return value <= target.value;
    case '<':
      return value < target.value;
  }
}

/** A figure with `met` worked out from its target. */
export function figure(
  name: string,
  value: number,
  unit: string,
  target: BenchTarget | null = null,
): BenchFigure {
  const measurable = Number.isFinite(value);
  return {
    name,
    value: measurable ? value : Number.NaN,
    unit,
    target,
    met: target === null || !measurable ? null : meets(value, target),
  };
}

/**
 * Prints the benchmark's result line (once, at its end). `figures` may come from `figure()` or be written out;
 * `met` is recomputed from `value` and `target` so that a bench cannot disagree with its own target.
 */
export function reportResult(bench: string, figures: readonly BenchFigure[]): void {
  const result: BenchResult = {
    bench,
    figures: figures.map((f) => figure(f.name, f.value, f.unit, f.target)),
  };
  // JSON turns NaN into null; the runner reads null back as "not measured".
  process.stdout.write(`\n${RESULT_PREFIX}${JSON.stringify(result)}\n`);
}

/** The result carried by one line of a benchmark's output, or null (also for a malformed line). */
export function parseResultLine(line: string): BenchResult | null {
  const at = line.indexOf(`${RESULT_PREFIX}{`);
  if (at < 0) return null;
  try {
    const parsed = JSON.parse(line.slice(at + RESULT_PREFIX.length)) as {
      bench?: unknown;
      figures?: unknown;
    };
    if (typeof parsed.bench !== 'string' || !Array.isArray(parsed.figures)) return null;
    const figures = (parsed.figures as Partial<BenchFigure>[]).map((f) =>
      figure(
        String(f.name),
        typeof f.value === 'number' ? f.value : Number.NaN,
        String(f.unit ?? ''),
        f.target ?? null,
      ),
    );
    return { bench: parsed.bench, figures };
  } catch {
    return null;
  }
}

/** `≥ 0.70`, `< 300 MB` */
export function describeTarget(target: BenchTarget | null, unit: string): string {
  if (target === null) return '';
  const symbol = { '>=': '≥', '>': '>', '<=': '≤', '<': '<' }[target.op];
  const suffix = unit === 'ratio' || unit === 'count' ? '' : ` ${unit}`;
  return `${symbol} ${formatValue(target.value, unit)}${suffix}`;
}

/** Two decimals for ratios and small values, thousands separators for large ones. */
export function formatValue(value: number, unit: string): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits =
    unit === 'ratio'
      ? 2
      : unit === 'count' && Number.isInteger(value)
        ? 0
        : Math.abs(value) >= 100
          ? 0
          : Math.abs(value) >= 10
            ? 1
            : 2;
  return value.toLocaleString('en-GB', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
