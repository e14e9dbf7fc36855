/**
 * What the training loop and the gradient plumbing need from a multi-task model: a shared encoder
 * and one head per task, written as plain functions over explicit tf.Variables (hard parameter
 * sharing). Models under benchmarks/ (radar-ECG, NYUv2) implement this; the plumbing never asks
 * which model it is running.
 */
import type * as TF from '@tensorflow/tfjs';
import type { RngState } from '../rng.js';

export interface MultiTaskModel {
  /** Task names in a fixed order (the order of losses and weights everywhere). */
  readonly taskNames: readonly string[];
  /** Trainable variables of the shared encoder, in a fixed order (defines the flattened θ). */
  readonly shared: readonly TF.Variable[];
  /** Trainable variables of each task head. */
  readonly heads: readonly (readonly TF.Variable[])[];
  /** Non-trainable state (e.g. batch-norm moving statistics), saved in checkpoints. */
  readonly buffers: readonly TF.Variable[];
  /** x → shared representation. `training` selects batch statistics and dropout. */
  encode(x: TF.Tensor, training: boolean): TF.Tensor;
  /** representation → prediction of task t. */
  head(task: number, rep: TF.Tensor, training: boolean): TF.Tensor;
  /**
   * After a training step: apply the moving-average updates (batch norm) that the last training
   * forward recorded, and free what it kept. Forwards inside gradient tapes never assign variables.
   */
  commitBuffers(): void;
  /** State of the model's own random stream (dropout masks), for checkpoints; absent when it has none. */
  randomState?(): RngState;
  /** Continue the model's random stream from a saved state. */
  restoreRandomState?(state: RngState): void;
  /** [begin, end) slices of the flattened θ per layer (GradVac's layer groups); optional. */
  layerGroups?(): [number, number][];
  dispose(): void;
}

/** Loss of task t for a batch; returns a scalar (mean over the batch). */
export type TaskLossFn = (task: number, pred: TF.Tensor, target: TF.Tensor) => TF.Scalar;
