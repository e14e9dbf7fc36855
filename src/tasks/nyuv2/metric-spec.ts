/**
 * Metric declarations of the NYUv2 benchmark for Δm% (src/metrics/deltam.ts): the nine columns
 * LibMTL reports, with LibMTL's directions (mtl-methods.md §4): segmentation [mIoU, pixAcc] ↑,
 * depth [abs, rel] ↓, normal [mean, median] ↓ and [<11.25°, <22.5°, <30°] ↑ (fractions). Δm%
 * averages per task, then over the three tasks, against a baseline row (single-task networks in
 * papers; there is no published row for this port's presets, so the caller supplies it).
 * Floors (below them a baseline value is left out of Δm% and flagged): 0.01 for the fractions and
 * the depth errors, 1° for the angle errors.
 */
import type { DeltaMSpec, MetricDecl } from '../../metrics/deltam.js';
import type { NyuMetrics } from './metrics.js';
import type { Nyuv2Task } from './model.js';

export interface NyuMetricDecl extends MetricDecl {
  readonly task: Nyuv2Task;
  /** Field of {@link NyuMetrics} that holds the value. */
  readonly name: keyof NyuMetrics;
  /** Column heading. */
  readonly label: string;
}

export const NYUV2_METRICS: readonly NyuMetricDecl[] = [
  { task: 'segmentation', name: 'mIoU', label: 'mIoU', higherIsBetter: true, floor: 0.01 },
  { task: 'segmentation', name: 'pixAcc', label: 'Pix Acc', higherIsBetter: true, floor: 0.01 },
  { task: 'depth', name: 'absErr', label: 'Abs Err', higherIsBetter: false, floor: 0.01 },
  { task: 'depth', name: 'relErr', label: 'Rel Err', higherIsBetter: false, floor: 0.01 },
  { task: 'normal', name: 'normalMean', label: 'Angle Mean', higherIsBetter: false, floor: 1 },
  { task: 'normal', name: 'normalMedian', label: 'Angle Median', higherIsBetter: false, floor: 1 },
  { task: 'normal', name: 'within11_25', label: '11.25°', higherIsBetter: true, floor: 0.01 },
  { task: 'normal', name: 'within22_5', label: '22.5°', higherIsBetter: true, floor: 0.01 },
  { task: 'normal', name: 'within30', label: '30°', higherIsBetter: true, floor: 0.01 },
];

/** Values of a metrics object in NYUV2_METRICS order. */
export function nyuMetricRow(m: NyuMetrics): number[] {
  return NYUV2_METRICS.map((d) => m[d.name]);
}

/** Δm% of NYUv2 against a baseline row (in NYUV2_METRICS order), averaged per task as LibMTL. */
export function nyuDeltaMSpec(baseline: readonly number[]): DeltaMSpec {
  return { metrics: NYUV2_METRICS, baseline, averaging: 'per-task' };
}
