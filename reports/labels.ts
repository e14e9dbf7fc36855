/**
 * Column headings of the benchmark tasks' metrics as the papers print them (the task registry
 * declares names, directions and units; the headings live in each task's metric-spec module).
 */
import { NYUV2_METRICS } from '../src/tasks/nyuv2/metric-spec.js';
import { LONG_TERM_METRICS, TABLE2_METRICS } from '../src/tasks/radar-ecg/metric-spec.js';

const KNOWN: Readonly<Record<string, readonly { readonly task: string; readonly name: string; readonly label: string; readonly floor?: number }[]>> = {
  'radar-ecg': TABLE2_METRICS,
  nyuv2: NYUV2_METRICS,
};

/** The printed heading of a metric of a benchmark task, if the task's spec names one. */
export function knownMetricLabel(taskId: string, task: string, name: string): string | undefined {
  return KNOWN[taskId]?.find((m) => m.task === task && m.name === name)?.label;
}

/** The Δm% floor a benchmark task's metric-spec module states for a metric, if any. */
export function knownMetricFloor(taskId: string, task: string, name: string): number | undefined {
  return KNOWN[taskId]?.find((m) => m.task === task && m.name === name)?.floor;
}

/**
 * Columns of the noise (robustness) tables where a task records dedicated metrics for them: the
 * radar-ECG task records the long-term (whole-recording) metrics of the paper's SNR and
 * abrupt-noise tables under the pseudo-task `longterm`.
 */
export function noiseTableColumns(taskId: string): readonly { readonly task: string; readonly name: string; readonly label: string; readonly unit?: string; readonly higherIsBetter: boolean; readonly floor?: number }[] | undefined {
  if (taskId === 'radar-ecg') return LONG_TERM_METRICS.map((m) => ({ task: 'longterm', name: m.name, label: m.label, unit: m.unit, higherIsBetter: m.higherIsBetter, ...(m.floor !== undefined ? { floor: m.floor } : {}) }));
  return undefined;
}
