/**
 * Paired comparison over seeds: the per-seed differences x(seed) − ref(seed) over the seeds both
 * have, their mean, sample std (n − 1) and two-sided Student-t interval (t_{1−α/2, n−1} · s/√n),
 * and whether the interval excludes 0. Pairing removes what a seed does to both (its data order,
 * initialisation and baseline), so it resolves smaller differences than two unpaired spreads.
 *
 * Plain numbers only; no tfjs.
 */
import { ConfigError } from '../errors.js';
import { confidenceInterval, mean } from './stats.js';

/** Values of one quantity keyed by seed (aligned arrays). */
export interface SeedValues {
  readonly seeds: readonly number[];
  readonly values: readonly number[];
}

export interface PairedComparison {
  /** Seeds both have, ascending. */
  readonly seeds: readonly number[];
  /** x − ref per seed, aligned with `seeds`. */
  readonly differences: readonly number[];
  readonly n: number;
  /** Mean difference; null when no seed is shared. */
  readonly mean: number | null;
  /** Sample std of the differences; null below 2 seeds. */
  readonly std: number | null;
  /** The t interval of the mean difference; null below 2 seeds. */
  readonly ci: { readonly lower: number; readonly upper: number; readonly halfWidth: number } | null;
  /** The interval lies entirely above or below 0; null below 2 seeds. */
  readonly excludesZero: boolean | null;
}

function byValue(field: string, s: SeedValues): Map<number, number> {
  if (s.seeds.length !== s.values.length) throw new ConfigError(`${field}.values`, `${s.values.length} values`, `one value per seed (${s.seeds.length})`);
  const m = new Map<number, number>();
  s.seeds.forEach((seed, i) => {
    if (m.has(seed)) throw new ConfigError(`${field}.seeds`, seed, 'each seed once');
    m.set(seed, s.values[i]!);
  });
  return m;
}

/** Paired differences `x − ref` over the seeds both have (non-finite values count as missing). */
export function pairedComparison(x: SeedValues, ref: SeedValues, level = 0.95): PairedComparison {
  const a = byValue('x', x);
  const b = byValue('ref', ref);
  const seeds = [...a.keys()].filter((s) => b.has(s) && Number.isFinite(a.get(s)!) && Number.isFinite(b.get(s)!)).sort((p, q) => p - q);
  const differences = seeds.map((s) => a.get(s)! - b.get(s)!);
  const n = seeds.length;
  if (n === 0) return { seeds, differences, n, mean: null, std: null, ci: null, excludesZero: null };
  if (n === 1) return { seeds, differences, n, mean: differences[0]!, std: null, ci: null, excludesZero: null };
  const ci = confidenceInterval(differences, level);
  return { seeds, differences, n, mean: ci.mean, std: ci.std, ci: { lower: ci.lower, upper: ci.upper, halfWidth: ci.halfWidth }, excludesZero: ci.lower > 0 || ci.upper < 0 };
}

/** Median of a non-empty sample (the mean of the two middle values for an even count). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) throw new ConfigError('median: sample', 0, 'a sample of at least 1 value');
  const s = [...xs].sort((p, q) => p - q);
  const h = Math.floor(s.length / 2);
  return s.length % 2 ? s[h]! : mean([s[h - 1]!, s[h]!]);
}
