/**
 * What the radar-ECG evaluation consumes: one test recording (trial) with its ground truth and the
 * model's three predictions for each evaluation window (`data_seg_sce_middle`: one 4-s window per
 * cardiac cycle, its first ground-truth R-peak at sample 400).
 */
import type { Series } from './signal.js';
import type { AnchorWindow } from './anchors.js';

/**
 * 'correct' (default) fixes the slips of the reference evaluation; 'reference' reproduces the
 * authors' notebooks (radarode-mtl.md §5.2, §5.3, §8.4). Each function documents the difference.
 */
export type EvalDefinition = 'correct' | 'reference';
export const EVAL_DEFINITIONS: readonly EvalDefinition[] = ['correct', 'reference'];

export interface RadarEcgWindow extends AnchorWindow {
  /** Predicted cycle shape (shape head output, 200 samples, normalised units). */
  readonly shapePred: Series;
  /** Ground-truth cycle in mV: the 200-point resampled cycle, or the raw cycle (97–252 samples). */
  readonly shapeTrue?: Series;
  /** PPI head logits (260 classes; class c means a cycle of c + 1 samples). */
  readonly ppiLogits: Series;
  /** Ground-truth cycle length in samples at 200 Hz. */
  readonly cycleLength: number;
  /**
   * Ground-truth cycle bounds [cycleStart, cycleEnd) in recording samples (NeuroKit2
   * segmentation). Only the reference long-term assembly needs them, to pick the window of a beat.
   */
  readonly cycleStart?: number;
  readonly cycleEnd?: number;
}

export interface RadarEcgTrial {
  /** Ground-truth R-peak positions (recording samples, ascending). */
  readonly rPeaks: Series;
  /** The recorded ECG in mV (needed by the long-term metrics). */
  readonly ecg?: Series;
  /** Recording length in samples; defaults to ecg.length, else 35,505. */
  readonly recordingLength?: number;
  readonly windows: readonly RadarEcgWindow[];
}
