/**
 * Metric declarations of the radar-ECG benchmark for Δm% (src/metrics/deltam.ts), exactly the
 * columns the radarODE-MTL paper reports.
 *
 * Table II (single-cycle, methods compared): ECG Shape Recovery = RMSE (mV) ↓, PCC ↑; Cycle Length
 * Estimation = PPI Error (ms) ↓; ECG Anchor Estimation = Timing Error (ms) ↓, MDR ↓. Δm% averages
 * per task, then over the three tasks, against the single-task baseline row
 * [0.106 mV, 86.6%, 9.6 ms, 7.5 ms, 6.67%] (also hard-coded in `result_eval_mtl.ipynb`).
 *
 * Long-term / noise tables (III, V): RMSE (mV) ↓, PCC ↑, Peak Error (ms) ↓, MDR ↓, averaged per
 * metric (one flat mean of four terms), each framework against its own clean result.
 *
 * Units follow the reference's Δm code: PCC as a fraction, MDR in percent (Δm is scale-free per
 * metric, so only consistency matters). Heart-rate error is computed but is not a paper column.
 *
 * Floors (the smallest baseline value a relative change is taken against; below it, or at ≤ 0, the
 * metric's term is left out of Δm% and flagged): RMSE 0.01 mV, PCC 0.1, PPI error 1 ms, timing
 * error 1 ms, MDR 1 %. They sit an order of magnitude or more below the paper's baselines
 * (0.106 mV, 86.6 %, 9.6 ms, 7.5 ms, 6.67 %), where a term is still a fair relative change.
 */
import type { DeltaMSpec, MetricDecl } from '../../metrics/deltam.js';
import type { LongTermMetrics } from './longterm.js';
import type { Table2Metrics } from './metrics.js';

/** Task order of the model, the losses and the weights: [shape, PPI, anchor]. */
export const RADAR_ECG_TASKS = ['shape', 'ppi', 'anchor'] as const;
export type RadarEcgTask = (typeof RADAR_ECG_TASKS)[number];
/** The reference's LibMTL task names, in the same order. */
export const RADAR_ECG_REFERENCE_TASK_NAMES = ['ECG_shape', 'PPI', 'Anchor'] as const;

export interface RadarEcgMetricDecl<K extends string> extends MetricDecl {
  readonly task: RadarEcgTask;
  /** Field of the metrics object that holds the value. */
  readonly name: K;
  /** Column heading in the paper. */
  readonly label: string;
  readonly unit: string;
}

export type Table2Key = Exclude<keyof Table2Metrics, 'hrErrorBpm'>;

export const TABLE2_METRICS: readonly RadarEcgMetricDecl<Table2Key>[] = [
  { task: 'shape', name: 'rmseMv', label: 'RMSE (mV)', unit: 'mV', higherIsBetter: false, floor: 0.01 },
  { task: 'shape', name: 'pcc', label: 'PCC', unit: 'fraction', higherIsBetter: true, floor: 0.1 },
  { task: 'ppi', name: 'ppiErrorMs', label: 'PPI Error (ms)', unit: 'ms', higherIsBetter: false, floor: 1 },
  { task: 'anchor', name: 'timingErrorMs', label: 'Timing Error (ms)', unit: 'ms', higherIsBetter: false, floor: 1 },
  { task: 'anchor', name: 'mdrPercent', label: 'MDR', unit: '%', higherIsBetter: false, floor: 1 },
];

/** The paper's single-task baseline row of Table II, in TABLE2_METRICS order. */
export const TABLE2_SINGLE_TASK_BASELINE: readonly number[] = [0.106, 0.866, 9.6, 7.5, 6.67];

export const TABLE2_DELTA_M: DeltaMSpec = {
  metrics: TABLE2_METRICS,
  baseline: TABLE2_SINGLE_TASK_BASELINE,
  averaging: 'per-task',
};

export type LongTermKey = 'rmseMv' | 'pcc' | 'timingErrorMs' | 'mdrPercent';

export const LONG_TERM_METRICS: readonly RadarEcgMetricDecl<LongTermKey>[] = [
  { task: 'shape', name: 'rmseMv', label: 'RMSE (mV)', unit: 'mV', higherIsBetter: false, floor: 0.01 },
  { task: 'shape', name: 'pcc', label: 'PCC', unit: 'fraction', higherIsBetter: true, floor: 0.1 },
  { task: 'anchor', name: 'timingErrorMs', label: 'Peak Error (ms)', unit: 'ms', higherIsBetter: false, floor: 1 },
  { task: 'anchor', name: 'mdrPercent', label: 'MDR', unit: '%', higherIsBetter: false, floor: 1 },
];

/** Δm% of the long-term tables; the baseline is the same framework's clean (no added noise) row. */
export function longTermDeltaMSpec(cleanBaseline: readonly number[]): DeltaMSpec {
  return { metrics: LONG_TERM_METRICS, baseline: cleanBaseline, averaging: 'per-metric' };
}

/** Values of a Table II metrics object in TABLE2_METRICS order. */
export function table2Row(m: Table2Metrics): number[] {
  return TABLE2_METRICS.map((d) => m[d.name]);
}

/** Values of a long-term metrics object in LONG_TERM_METRICS order. */
export function longTermRow(m: Pick<LongTermMetrics, LongTermKey>): number[] {
  return LONG_TERM_METRICS.map((d) => m[d.name]);
}
