/**
 * The paired comparison with EW in the tables: the `Δm% − EW` cell of each row and the resolution
 * line under the table (EW's Δm% seed spread and the smallest Δm% difference a paired comparison
 * over these seeds detects at 95%: the median half-width of the paired intervals).
 */
import type { ConditionResults, PairedComparison, ResultRow } from './results.js';

export const PAIRED_COLUMN_ID = 'deltaM_vs_EW';

/** The cell of a paired comparison, in the table's raw-cell shape (its text is final). */
export interface PairedCell {
  readonly mean: number | null;
  readonly std: number | null;
  readonly n: number;
  readonly ci95: readonly [number, number] | null;
  readonly text: string;
  readonly final: true;
  readonly flags: ('partial' | 'paired-significant')[];
  readonly note?: string;
}

function signed(v: number): string {
  const s = v.toFixed(2);
  if (/^-0(\.0*)?$/.test(s)) return s.slice(1);
  return v > 0 && !/^0(\.0*)?$/.test(s) ? `+${s}` : s;
}

function plain(v: number): string {
  const s = v.toFixed(2);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
}

/** The `Δm% − EW` cell of a row: mean [95% t interval] with * where it excludes 0. */
export function pairedCell(row: ResultRow, cond: ConditionResults): PairedCell {
  const empty = (text: string, note?: string): PairedCell => ({ mean: null, std: null, n: 0, ci95: null, text, final: true, flags: [], ...(note ? { note } : {}) });
  if (row.label === cond.resolution.reference && row.method === 'ew') return empty('reference', 'the row every paired difference is taken against');
  const p = row.pairedVsEW;
  if (!p) return empty('—');
  const of = row.seeds.length;
  if (p.n === 0) return empty('n/a (no seed shared with EW)');
  const perSeed = `per seed: ${p.seeds.map((s, i) => `seed ${s} ${signed(p.differences[i]!)}`).join(', ')}`;
  if (p.n === 1 || !p.ci) return { mean: p.mean, std: null, n: 1, ci95: null, text: 'n/a (1 seed)', final: true, flags: of > 1 ? ['partial'] : [], note: `${perSeed}; an interval needs 2 or more seeds${of > 1 ? ` (EW and this row share 1 of its ${of} seeds)` : ''}` };
  const partial = p.n < of;
  const text = `${signed(p.mean!)} [${plain(p.ci.lower)}, ${plain(p.ci.upper)}]${p.excludesZero ? '*' : ''}${partial ? ` (n=${p.n}/${of})` : ''}`;
  const flags: PairedCell['flags'] = [...(p.excludesZero ? (['paired-significant'] as const) : []), ...(partial ? (['partial'] as const) : [])];
  const why = partial ? `; paired over the ${p.n} of ${of} seeds where EW has a Δm% too` : '';
  return { mean: p.mean, std: p.std, n: p.n, ci95: [p.ci.lower, p.ci.upper], text, final: true, flags, note: `${perSeed}; 95% t interval, ${p.n - 1} degree${p.n === 2 ? '' : 's'} of freedom${p.excludesZero ? ', excludes 0' : ''}${why}` };
}

/** The tooltip of a metric cell: the paired difference from EW on that metric (null below 2 shared seeds). */
export function pairedMetricNote(p: PairedComparison | null, reference: string, scale: number): string | null {
  if (!p?.ci) return null;
  const v = (x: number): string => String(Number((x * scale).toPrecision(3)));
  return `vs ${reference}, paired over ${p.n} seeds: ${p.mean! > 0 ? '+' : ''}${v(p.mean!)} [${v(p.ci.lower)}, ${v(p.ci.upper)}]${p.excludesZero ? ', excludes 0' : ''}`;
}

/** Numbers of the resolution line (the CSV sidecar carries them). */
export interface TableResolution {
  readonly text: string;
  readonly reference: string | null;
  /** EW's Δm% seed std (pp) and seed count. */
  readonly referenceStd: number | null;
  readonly referenceSeeds: number;
  /** Median half-width of the 95% paired intervals (pp) over `compared` methods. */
  readonly detectable: number | null;
  readonly compared: number;
  readonly pairedSeeds: readonly number[];
}

/** The resolution line of a condition whose Δm% is available. */
export function resolutionOf(cond: ConditionResults): TableResolution {
  const r = cond.resolution;
  const base = { reference: r.reference, referenceStd: r.referenceDeltaM?.std ?? null, referenceSeeds: r.referenceDeltaM?.n ?? 0, detectable: r.detectable, compared: r.compared, pairedSeeds: r.pairedSeeds };
  if (r.reference === null) return { ...base, text: 'Resolution: no EW row with a Δm% in this table, so no paired comparison.' };
  const ew = r.referenceDeltaM!;
  if (ew.std === null) return { ...base, text: `Resolution: n/a (1 seed): ${r.reference}'s Δm% seed spread and the paired comparisons need 2 or more seeds.` };
  const spread = `${r.reference} Δm% seed std ${plain(ew.std)} pp (n = ${ew.n})`;
  if (r.detectable === null) return { ...base, text: `Resolution: ${spread}; no method shares 2 or more seeds with ${r.reference}, so no paired comparison.` };
  const k = r.pairedSeeds;
  const seeds = k.length === 1 ? `${k[0]} seeds` : `${k[0]}–${k[k.length - 1]} shared seeds`;
  return {
    ...base,
    text: `Resolution: ${spread}; a paired difference of ≥ ${plain(r.detectable)} pp vs ${r.reference} is detectable with ${seeds} (median half-width of the ${r.compared} paired 95% interval${r.compared === 1 ? '' : 's'}).`,
  };
}

/** The spec line explaining the column. */
export function pairedSpecLine(reference: string): string {
  return `Δm% − ${reference}: per method, the per-seed differences Δm%(method, seed) − Δm%(${reference}, seed) over the seeds both have (each Δm% against that seed's baseline); their mean [95% Student-t interval, t(0.975, n − 1)]; * where the interval excludes 0; n/a with a single shared seed. Not ranked; the baseline, single-task and trivial rows get none.`;
}

/** How many seeds the measured rows have: `n = 3 for every row`, or the exceptions. */
export function seedsLine(rows: readonly { label: string; seeds: number; kind: string; published: boolean }[]): string | null {
  const measured = rows.filter((r) => !r.published && r.kind !== 'incomplete' && r.seeds > 0);
  if (measured.length === 0) return null;
  const counts = new Map<number, number>();
  for (const r of measured) counts.set(r.seeds, (counts.get(r.seeds) ?? 0) + 1);
  const common = [...counts].sort((a, b) => b[1] - a[1] || b[0] - a[0])[0]![0];
  const others = measured.filter((r) => r.seeds !== common);
  return `Seeds: n = ${common} per row${others.length ? `, except ${others.map((r) => `${r.label} (${r.seeds})`).join(', ')}` : ''}; Δm% cells are the mean ± sample std (n − 1) of the per-seed Δm%.`;
}
