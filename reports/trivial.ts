/**
 * Trivial-predictor rows (method `trivial`, labels `Trivial: …`): the best of them per metric, and
 * which trained rows do not beat it. A trained row's mean that is not strictly better than the best
 * trivial mean (in the metric's direction) is flagged; the tables mark such cells and name the
 * trivial value in a footnote.
 */
import type { MetricColumn } from './columns.js';
import type { RowKind } from './ordering.js';

export const TRIVIAL_METHOD = 'trivial';

/** The best trivial mean of one column and the row that has it. */
export interface TrivialBest {
  readonly label: string;
  readonly mean: number;
}

interface SummaryLike {
  readonly mean: number;
}

interface RowLike {
  readonly label: string;
  readonly kind: RowKind;
  readonly metrics: readonly (SummaryLike | null)[];
}

/** Per column: the best mean among the trivial rows (null where the direction is unknown or no trivial row has a value). */
export function bestTrivial(rows: readonly RowLike[], columns: readonly Pick<MetricColumn, 'higherIsBetter'>[]): (TrivialBest | null)[] {
  return columns.map((c, j) => {
    if (c.higherIsBetter === null) return null;
    let best: TrivialBest | null = null;
    for (const r of rows) {
      if (r.kind !== 'trivial') continue;
      const m = r.metrics[j]?.mean;
      if (m === undefined || !Number.isFinite(m)) continue;
      if (best === null || (c.higherIsBetter ? m > best.mean : m < best.mean)) best = { label: r.label, mean: m };
    }
    return best;
  });
}

/** Per column: true where a trained row's mean does not beat the best trivial mean. Trivial rows themselves are never flagged. */
export function notBeatingTrivial(row: RowLike, best: readonly (TrivialBest | null)[], columns: readonly Pick<MetricColumn, 'higherIsBetter'>[]): boolean[] {
  return columns.map((c, j) => {
    const b = best[j];
    const m = row.metrics[j]?.mean;
    if (row.kind === 'trivial' || !b || c.higherIsBetter === null || m === undefined || !Number.isFinite(m)) return false;
    return c.higherIsBetter ? !(m > b.mean) : !(m < b.mean);
  });
}
