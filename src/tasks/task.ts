/**
 * A benchmark task as the runner sees it: data, model, losses, evaluation and metric declarations
 * for one preset. Tasks register in src/tasks/index.ts; the runner never asks which task it runs.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import type { MultiTaskModel, TaskLossFn } from '../tf/model.js';
import type { OptimizerConfig, ScheduleConfig } from '../tf/optim.js';
import type { BatchSource } from '../train/trainer.js';
import type { TrivialPredictorDecl } from './trivial.js';

type Tf = typeof TF;

/** One metric of a task, with its direction (for Δm% and best-of marks). */
export interface MetricSpec {
  readonly task: string;
  readonly name: string;
  readonly higherIsBetter: boolean;
  /** Unit for display, e.g. 'mV', 'ms', '%'. */
  readonly unit?: string;
  /** Smallest baseline value Δm% takes a relative change against (src/metrics/deltam.ts). */
  readonly floor?: number;
}

/** A noise condition applied to the inputs at training or evaluation time. */
export type NoiseCondition =
  | { readonly kind: 'clean' }
  | { readonly kind: 'snr'; readonly db: number }
  | { readonly kind: 'abrupt'; readonly seconds: number; readonly db: number; readonly fraction?: number };

export function noiseLabel(c: NoiseCondition): string {
  switch (c.kind) {
    case 'clean':
      return 'clean';
    case 'snr':
      return `snr${c.db}dB`;
    case 'abrupt':
      return `abrupt${c.seconds}s@${c.db}dB`;
  }
}

export interface TrainingDefaults {
  readonly optimizer: OptimizerConfig;
  readonly schedule: ScheduleConfig;
  readonly epochs: number;
  readonly batchSize: number;
}

/** A dataset prepared for one run: batch sources per split and evaluation. */
export interface PreparedData {
  /** Content fingerprint recorded with every run. */
  readonly fingerprint: string;
  readonly describe: string;
  trainBatches(batchSize: number, noise: NoiseCondition): BatchSource;
  /**
   * Metrics of the model on a split ('val' held out from training data, 'test'), keyed
   * `task/metric`; besides the declared metrics, `task/loss` holds each task's mean training loss
   * on the split (what the validation-based epoch selection reads).
   */
  evaluate(model: MultiTaskModel, split: 'val' | 'test', noise: NoiseCondition, rng: Rng): Record<string, number> | Promise<Record<string, number>>;
  /**
   * A few example predictions for plots (e.g. reconstructed vs reference ECG cycles, a long-term
   * stretch with predicted anchors), keyed by example name; each is a set of named series.
   */
  examples?(model: MultiTaskModel, noise: NoiseCondition, rng: Rng): Record<string, ExampleSeries>;
  /** The constant predictor `id` (one of the task's `trivialPredictors`), estimated from the training split. */
  trivialModel?(id: string): MultiTaskModel | Promise<MultiTaskModel>;
  dispose?(): void;
}

/** Named numeric series of one example plot (all the same length unless noted), with the sample rate. */
export interface ExampleSeries {
  readonly sampleRate?: number;
  readonly unit?: string;
  readonly series: Readonly<Record<string, readonly number[]>>;
  /** Marker positions (sample indices), e.g. predicted and reference R peaks. */
  readonly markers?: Readonly<Record<string, readonly number[]>>;
}

export interface TaskPreset {
  readonly name: string;
  readonly description: string;
  /** True for presets meant for a GPU / large machine (the paper's scale). */
  readonly paperScale: boolean;
}

export interface TaskDefinition {
  readonly id: string;
  readonly displayName: string;
  readonly taskNames: readonly string[];
  readonly metrics: readonly MetricSpec[];
  readonly presets: readonly TaskPreset[];
  readonly noiseKinds: readonly NoiseCondition['kind'][];
  /** Trivial predictors recorded beside the trained runs (see trivial.ts). */
  readonly trivialPredictors?: readonly TrivialPredictorDecl[];
  /** Evaluation protocols the task offers (config key `evaluation`); the first is the default. */
  readonly evaluations?: readonly string[];
  training(preset: string): TrainingDefaults;
  /** Generate or open the data for a preset (cached under dataDir), deterministically from the seed. */
  prepareData(tf: Tf, preset: string, opts: { dataDir: string; seed: number; dataPath?: string; evaluation?: string }): Promise<PreparedData>;
  createModel(tf: Tf, preset: string, seed: number): MultiTaskModel;
  lossFn(tf: Tf): TaskLossFn;
}
