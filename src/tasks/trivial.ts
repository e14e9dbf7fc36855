/**
 * Trivial predictors: the outputs a sceptic tries before believing a trained model. Each is a
 * constant prediction per task, estimated from the training split alone (the mean target, the
 * most frequent class, ...), wrapped as a {@link MultiTaskModel} so that it is evaluated by the
 * task's own metric code on the same splits and noise conditions as the trained runs. The runner
 * records them as runs with method `trivial` and label `Trivial: <label>`.
 */
import type * as TF from '@tensorflow/tfjs';
import type { MultiTaskModel } from '../tf/model.js';

type Tf = typeof TF;

/** A trivial predictor a task offers (declared statically, built from the training data). */
export interface TrivialPredictorDecl {
  /** Stable id stored in the run's params (`{ predictor: id }`). */
  readonly id: string;
  /** Row label after `Trivial: `. */
  readonly label: string;
  /** What it predicts for each task, for reports and the README. */
  readonly description: string;
}

export const TRIVIAL_METHOD = 'trivial';

export function trivialLabel(d: Pick<TrivialPredictorDecl, 'label'>): string {
  return `Trivial: ${d.label}`;
}

/** The per-task outputs of one sample (no batch axis), in the model's task order. */
export interface ConstantOutputs {
  readonly shapes: readonly (readonly number[])[];
  readonly values: readonly Float32Array[];
}

/**
 * A model whose head t returns `values[t]` (shape `shapes[t]`) for every sample of the batch,
 * whatever the input. It has no variables; `predict` serves tasks that evaluate through it.
 */
export function constantModel(tf: Tf, taskNames: readonly string[], out: ConstantOutputs): MultiTaskModel & { predict(x: TF.Tensor): TF.Tensor[] } {
  const consts = out.values.map((v, t) => tf.keep(tf.tensor(v, [1, ...out.shapes[t]!])));
  const encode = (x: TF.Tensor): TF.Tensor => tf.zeros([x.shape[0]!, 1]);
  const head = (t: number, rep: TF.Tensor): TF.Tensor => {
    const c = consts[t]!;
    return tf.tile(c, [rep.shape[0]!, ...c.shape.slice(1).map(() => 1)]);
  };
  return {
    taskNames,
    shared: [],
    heads: taskNames.map(() => []),
    buffers: [],
    encode,
    head,
    predict: (x) => tf.tidy(() => {
      const rep = encode(x);
      return taskNames.map((_, t) => head(t, rep));
    }),
    commitBuffers: () => {},
    dispose: () => tf.dispose(consts),
  };
}

/** Index of the largest count (first on ties). */
export function modeIndex(counts: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < counts.length; i++) if (counts[i]! > counts[best]!) best = i;
  return best;
}

/** One-hot logits for class `cls` of `n` (a large margin, so softmax and argmax both pick it). */
export function oneHotLogits(n: number, cls: number, margin = 20): Float32Array {
  const z = new Float32Array(n);
  z[cls] = margin;
  return z;
}
