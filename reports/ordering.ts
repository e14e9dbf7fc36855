/**
 * Row and condition order of the tables: the single-task baseline, the trivial predictors, loss balancing methods, then
 * gradient balancing methods, each in the paper's order (then the rest of the registry), a
 * method's sweep by parameter value (EGA by T); conditions clean, SNR high to low, abrupt noise.
 */
import { findMethod, registry } from '../optimizers/index.js';
import type { RunRecord } from './source.js';

export type RowKind = 'baseline' | 'trivial' | 'single-task' | 'loss-weighting' | 'gradient-aggregation' | 'other';

/** Evaluation conditions in table order: clean, SNR from high to low, abrupt by duration then level, others. */
export function compareConditions(a: string, b: string): number {
  const rank = (c: string): [number, number, number, string] => {
    if (c === 'clean') return [0, 0, 0, c];
    const snr = /^snr(-?\d+(?:\.\d+)?)dB$/.exec(c);
    if (snr) return [1, -Number(snr[1]), 0, c];
    const ab = /^abrupt(\d+(?:\.\d+)?)s@(-?\d+(?:\.\d+)?)dB$/.exec(c);
    if (ab) return [2, -Number(ab[2]), Number(ab[1]), c];
    return [3, 0, 0, c];
  };
  const ra = rank(a);
  const rb = rank(b);
  for (let i = 0; i < 3; i++) if (ra[i] !== rb[i]) return (ra[i] as number) - (rb[i] as number);
  return ra[3] < rb[3] ? -1 : ra[3] > rb[3] ? 1 : 0;
}

/** The order of the paper's tables, then the rest of the registry. */
const PAPER_ORDER = ['ew', 'uw', 'gls', 'dwa', 'stch', 'graddrop', 'gradvac', 'cagrad', 'imtl', 'moco', 'aligned-mtl', 'ega'];

function methodRank(method: string): number {
  const p = PAPER_ORDER.indexOf(method);
  if (p >= 0) return p;
  const r = registry.findIndex((d) => d.id === method);
  return PAPER_ORDER.length + (r >= 0 ? r : registry.length);
}

const KIND_RANK: Record<RowKind, number> = { baseline: 0, trivial: 1, 'single-task': 2, 'loss-weighting': 3, 'gradient-aggregation': 4, other: 5 };

function compareParams(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): number {
  for (const k of Object.keys(a)) {
    const x = a[k];
    const y = b[k];
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return 0;
}

interface Orderable {
  readonly kind: RowKind;
  readonly method: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly label: string;
}

export function compareRows(a: Orderable, b: Orderable): number {
  return (
    KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
    methodRank(a.method) - methodRank(b.method) ||
    compareParams(a.params, b.params) ||
    (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)
  );
}

export function rowKind(run: Pick<RunRecord, 'method' | 'singleTask'>): RowKind {
  if (run.singleTask !== null || run.method === 'single-task') return 'single-task';
  if (run.method === 'trivial') return 'trivial';
  return findMethod(run.method)?.kind ?? 'other';
}

