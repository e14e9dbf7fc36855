/**
 * The training loop: epochs of batches through the gradient plumbing, the epoch-mean loss history
 * the methods read (LibMTL's train_loss_buffer), the learning-rate schedule, and the per-step
 * weights for logging. Checkpointing and logging hook in from the runner.
 */
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../rng.js';
import type { JsonValue } from '../../optimizers/types.js';
import { learningRateAt, type ScheduleConfig } from '../tf/optim.js';
import type { MtlStepper, StepReport } from '../tf/plumbing.js';

export interface Batch {
  readonly x: TF.Tensor;
  readonly targets: readonly TF.Tensor[];
}

/** Yields the training batches of one epoch; the trainer disposes each batch after its step. */
export type BatchSource = (epoch: number, rng: Rng) => Iterable<Batch>;

export interface EpochSummary {
  readonly epoch: number;
  readonly steps: number;
  /** Mean raw training loss per task over the epoch's steps. */
  readonly meanLosses: Float64Array;
  /** Mean reported weights per task (null when the method reports none). */
  readonly meanWeights: Float64Array | null;
  readonly learningRate: number;
  readonly seconds: number;
  readonly stepMs: { readonly median: number; readonly forward: number; readonly backward: number; readonly aggregate: number; readonly apply: number };
  readonly diagnostics: Readonly<Record<string, JsonValue>>;
}

/** Training stopped on request (a signal); not a failure of the run. */
export class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

export interface TrainerHooks {
  onStep?(epoch: number, step: number, report: StepReport): void;
}

export class Trainer {
  /** lossHistory[e][i]: mean training loss of task i over finished epoch e. */
  readonly lossHistory: Float64Array[] = [];
  epoch = 0;

  constructor(
    readonly stepper: MtlStepper,
    private readonly source: BatchSource,
    readonly rng: Rng,
    private readonly baseLr: number,
    private readonly schedule: ScheduleConfig,
    private readonly hooks: TrainerHooks = {},
    /** The stream that orders the batches (default: `rng`, shared with the method's draws). */
    readonly batchRng: Rng = rng,
  ) {}

  /**
   * Train one epoch and append its mean losses to the history. Between steps the loop yields to
   * the event loop (signals, progress, IPC are handled there); when `signal` is aborted it stops
   * after the current step by throwing `Interrupted` (the epoch is then discarded).
   */
  async runEpoch(signal?: AbortSignal): Promise<EpochSummary> {
    const n = this.stepper.model.taskNames.length;
    const epoch = this.epoch;
    const lr = learningRateAt(this.baseLr, this.schedule, epoch);
    this.stepper.optimizer.lr = lr;
    const sum = new Float64Array(n);
    let wsum: Float64Array | null = null;
    let steps = 0;
    const times: number[] = [];
    const parts = { forward: 0, backward: 0, aggregate: 0, apply: 0 };
    let diagnostics: Readonly<Record<string, JsonValue>> = {};
    const t0 = performance.now();
    for (const batch of this.source(epoch, this.batchRng)) {
      let report: StepReport;
      try {
        report = this.stepper.step({ x: batch.x, targets: batch.targets, epoch, lossHistory: this.lossHistory, rng: this.rng });
      } finally {
        batch.x.dispose();
        for (const t of batch.targets) t.dispose();
      }
      for (let i = 0; i < n; i++) sum[i] += report.losses[i] as number;
      if (report.weights) {
        wsum ??= new Float64Array(report.weights.length);
        for (let i = 0; i < report.weights.length; i++) wsum[i] += report.weights[i] as number;
      }
      const tm = report.timings;
      times.push(tm.forward + tm.backward + tm.aggregate + tm.apply);
      parts.forward += tm.forward;
      parts.backward += tm.backward;
      parts.aggregate += tm.aggregate;
      parts.apply += tm.apply;
      diagnostics = report.diagnostics;
      this.hooks.onStep?.(epoch, steps, report);
      steps++;
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (signal?.aborted) throw new Interrupted(String(signal.reason ?? 'interrupted'));
    }
    const meanLosses = sum.map((s) => s / Math.max(steps, 1));
    this.lossHistory.push(meanLosses);
    this.epoch++;
    const sorted = [...times].sort((a, b) => a - b);
    const k = Math.max(steps, 1);
    return {
      epoch,
      steps,
      meanLosses,
      meanWeights: wsum ? wsum.map((s) => s / k) : null,
      learningRate: lr,
      seconds: (performance.now() - t0) / 1000,
      stepMs: {
        median: sorted.length ? (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2 : 0,
        forward: parts.forward / k,
        backward: parts.backward / k,
        aggregate: parts.aggregate / k,
        apply: parts.apply / k,
      },
      diagnostics,
    };
  }
}

/** Shuffled mini-batches over in-memory arrays (the regression problem, small fixtures). */
export function arrayBatches(tf: typeof TF, x: Float32Array, featureShape: readonly number[], targets: readonly Float32Array[], targetShapes: readonly (readonly number[])[], batchSize: number): BatchSource {
  const per = featureShape.reduce((a, b) => a * b, 1);
  const samples = x.length / per;
  return function* (_epoch, rng) {
    const order = rng.shuffle(Array.from({ length: samples }, (_, i) => i));
    for (let s = 0; s + batchSize <= samples; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const xb = new Float32Array(batchSize * per);
      idx.forEach((i, b) => xb.set(x.subarray(i * per, (i + 1) * per), b * per));
      const tb = targets.map((y, t) => {
        const tper = (targetShapes[t] as readonly number[]).reduce((a, b) => a * b, 1);
        const out = new Float32Array(batchSize * tper);
        idx.forEach((i, b) => out.set(y.subarray(i * tper, (i + 1) * tper), b * tper));
        return tf.tensor(out, [batchSize, ...(targetShapes[t] as number[])]);
      });
      yield { x: tf.tensor(xb, [batchSize, ...featureShape]), targets: tb };
    }
  };
}
