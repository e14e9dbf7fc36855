/**
 * The gradient plumbing: the one place where per-task gradients are computed with TF.js and the
 * combined update is written back. The training loop calls `step()`; it never asks which method
 * it is running.
 *
 * - Loss weighting: one forward, the method weighs the loss values, one backward of Σ c_i L_i
 *   (shared and head parameters alike).
 * - Gradient aggregation, param mode (the paper's setting): one forward, one backward per task to
 *   the shared parameters and that task's head; the method combines the flattened shared
 *   gradients; heads keep their own task gradient (times the method's headScale, as LibMTL).
 * - Gradient aggregation, rep mode: one forward, one cheap backward per task through its head to
 *   the shared representation; the method combines those; one backward through the encoder.
 * - Learnable weights (UW's and IMTL's log-scales) are variables trained by the same optimiser.
 */
import type * as TF from '@tensorflow/tfjs';
import { NumericalError, UnsupportedError } from '../errors.js';
import type { Rng } from '../rng.js';
import type { GradMode, JsonValue, MtlMethod, TaskGradients } from '../../optimizers/types.js';
import type { MultiTaskModel, TaskLossFn } from './model.js';
import type { Optimizer } from './optim.js';
import { RecordedForward } from './tape.js';

type Tf = typeof TF;

export interface StepRequest {
  readonly x: TF.Tensor;
  readonly targets: readonly TF.Tensor[];
  readonly epoch: number;
  readonly lossHistory: readonly Float64Array[];
  readonly rng: Rng;
}

export interface StepTimings {
  forward: number;
  backward: number;
  aggregate: number;
  apply: number;
}

export interface StepReport {
  /** The raw task losses of the batch (before the update). */
  readonly losses: Float64Array;
  /** The weights the method reported (LibMTL's return value), or null. */
  readonly weights: Float64Array | null;
  /** The coefficients actually applied to the task gradients, where the update is a combination. */
  readonly coefficients: Float64Array | null;
  readonly diagnostics: Readonly<Record<string, JsonValue>>;
  readonly timings: StepTimings;
}

export interface StepperOptions {
  /** Per-task gradients of the shared parameters ('param') or of the representation ('rep'). */
  readonly mode: GradMode;
  /** Clip the shared update to this L2 norm (Nash-MTL's max_norm); 0 = off. */
  readonly maxGradNorm?: number;
}

/** Resolve the gradient mode a method runs in; errors name the method and what it supports. */
export function resolveMode(method: MtlMethod, caps: { paramMode: boolean; repMode: boolean; requiresRep: boolean }, requested: GradMode): GradMode {
  if (method.kind === 'loss-weighting') return 'param';
  if (caps.requiresRep) return 'rep';
  if (requested === 'rep' && !caps.repMode) throw new UnsupportedError(`${method.label} does not support representation gradients (rep mode); use param mode`);
  if (requested === 'param' && !caps.paramMode) throw new UnsupportedError(`${method.label} needs representation gradients (rep mode)`);
  return requested;
}

export class MtlStepper {
  private readonly sharedSizes: number[];
  private readonly m: number;
  private readonly lossScale: TF.Variable | null;
  private readonly groups: TaskGradients['groups'];

  constructor(
    private readonly tf: Tf,
    readonly model: MultiTaskModel,
    readonly method: MtlMethod,
    private readonly lossFn: TaskLossFn,
    readonly optimizer: Optimizer,
    readonly options: StepperOptions,
  ) {
    this.sharedSizes = model.shared.map((v) => v.size);
    this.m = this.sharedSizes.reduce((a, b) => a + b, 0);
    const init = method.learnable();
    this.lossScale = init ? tf.tidy(() => tf.variable(tf.tensor1d(Float32Array.from(init)), true, `mtl/${method.id}/loss_scale`)) : null;
    const layer = model.layerGroups?.();
    let off = 0;
    const tensor = this.sharedSizes.map((s) => [off, (off += s)] as [number, number]);
    this.groups = { layer: layer ?? tensor, tensor };
  }

  /** The learnable log-scales as the optimiser holds them (for checkpoints), or null. */
  get learnableVariable(): TF.Variable | null {
    return this.lossScale;
  }

  step(req: StepRequest): StepReport {
    const tf = this.tf;
    const n = this.model.taskNames.length;
    const t0 = performance.now();
    const rec = RecordedForward.record(tf, () => {
      const rep = this.model.encode(req.x, true);
      const losses = this.model.taskNames.map((_, t) => this.lossFn(t, this.model.head(t, rep, true), req.targets[t] as TF.Tensor));
      return { rep, losses, lvec: tf.stack(losses) };
    });
    try {
      const losses = Float64Array.from(rec.outputs.lvec.dataSync());
      if (!losses.every(Number.isFinite)) {
        throw new NumericalError(`${this.method.label}: training diverged at epoch ${req.epoch} (task losses ${Array.from(losses, (l) => l.toPrecision(4)).join(', ')})`);
      }
      const t1 = performance.now();
      const input = { epoch: req.epoch, losses, lossHistory: req.lossHistory, rng: req.rng };
      const timings: StepTimings = { forward: t1 - t0, backward: 0, aggregate: 0, apply: 0 };
      const method = this.method;
      const pairs: [TF.Variable, TF.Tensor][] = [];
      let report: Omit<StepReport, 'timings' | 'losses'>;
      let learnableGrad: Float64Array | undefined;

      if (method.kind === 'loss-weighting') {
        const ta = performance.now();
        const r = method.weigh(input);
        const tb = performance.now();
        const all = [...this.model.shared, ...this.model.heads.flat()];
        const c = tf.tensor1d(Float32Array.from(r.coefficients));
        const grads = rec.backward(rec.outputs.lvec, all, c);
        c.dispose();
        all.forEach((v, k) => pairs.push([v, grads[k] as TF.Tensor]));
        timings.aggregate = tb - ta;
        timings.backward = performance.now() - tb;
        learnableGrad = r.learnableGrad;
        report = { weights: r.weights, coefficients: r.coefficients, diagnostics: r.diagnostics ?? {} };
      } else if (this.options.mode === 'param') {
        const G: Float64Array[] = [];
        const headGrads: TF.Tensor[][] = [];
        const tb = performance.now();
        for (let t = 0; t < n; t++) {
          const head = this.model.heads[t] as readonly TF.Variable[];
          const grads = rec.backward(rec.outputs.losses[t] as TF.Tensor, [...this.model.shared, ...head]);
          G.push(this.flatten(grads.slice(0, this.model.shared.length)));
          tf.dispose(grads.slice(0, this.model.shared.length));
          headGrads.push(grads.slice(this.model.shared.length));
        }
        const ta = performance.now();
        const r = method.aggregate(input, { mode: 'param', G, groups: this.groups });
        const tc = performance.now();
        this.pushShared(pairs, r.grad);
        this.pushHeads(pairs, headGrads, r.headScale);
        timings.backward = ta - tb;
        timings.aggregate = tc - ta;
        learnableGrad = r.learnableGrad;
        report = { weights: r.weights, coefficients: r.coefficients, diagnostics: r.diagnostics ?? {} };
      } else {
        const rep = rec.outputs.rep;
        const G: Float64Array[] = [];
        const perSample: Float64Array[] = [];
        const headGrads: TF.Tensor[][] = [];
        const batch = rep.shape[0] ?? 1;
        const tb = performance.now();
        for (let t = 0; t < n; t++) {
          const head = this.model.heads[t] as readonly TF.Variable[];
          const [R, ...hg] = rec.backward(rec.outputs.losses[t] as TF.Tensor, [rep, ...head]);
          const flatR = Float64Array.from((R as TF.Tensor).dataSync());
          (R as TF.Tensor).dispose();
          perSample.push(flatR);
          const d = flatR.length / batch;
          const g = new Float64Array(d);
          for (let b = 0; b < batch; b++) for (let k = 0; k < d; k++) g[k] += flatR[b * d + k] as number;
          G.push(g);
          headGrads.push(hg);
        }
        const value = Float64Array.from(rep.dataSync());
        const ta = performance.now();
        const r = method.aggregate(input, { mode: 'rep', G, rep: { value, perSample, batch } });
        const tc = performance.now();
        const dy = tf.tensor(Float32Array.from(r.grad), rep.shape);
        const shared = rec.backward(rep, this.model.shared, dy);
        dy.dispose();
        this.model.shared.forEach((v, k) => pairs.push([v, shared[k] as TF.Tensor]));
        this.pushHeads(pairs, headGrads, r.headScale);
        timings.backward = ta - tb + (performance.now() - tc);
        timings.aggregate = tc - ta;
        learnableGrad = r.learnableGrad;
        report = { weights: r.weights, coefficients: r.coefficients, diagnostics: r.diagnostics ?? {} };
      }

      const td = performance.now();
      this.clip(pairs);
      if (this.lossScale && learnableGrad) pairs.push([this.lossScale, tf.tensor1d(Float32Array.from(learnableGrad))]);
      this.optimizer.apply(pairs);
      tf.dispose(pairs.map((p) => p[1]));
      if (this.lossScale) method.setLearnable(this.lossScale.dataSync());
      this.model.commitBuffers();
      if (method.kind === 'loss-weighting' && method.afterStep) {
        const after = tf.tidy(() => {
          const rep = this.model.encode(req.x, true);
          return tf.stack(this.model.taskNames.map((_, t) => this.lossFn(t, this.model.head(t, rep, true), req.targets[t] as TF.Tensor)));
        });
        const lossesAfter = Float64Array.from(after.dataSync());
        after.dispose();
        this.model.commitBuffers();
        method.afterStep(input, lossesAfter);
      }
      timings.apply = performance.now() - td;
      return { ...report, losses, timings };
    } finally {
      rec.dispose();
    }
  }

  /** Concatenate gradient tensors into one float64 row (θ order). */
  private flatten(grads: readonly TF.Tensor[]): Float64Array {
    const row = new Float64Array(this.m);
    let off = 0;
    for (const g of grads) {
      const d = g.dataSync();
      row.set(d, off);
      off += d.length;
    }
    return row;
  }

  private pushShared(pairs: [TF.Variable, TF.Tensor][], grad: Float64Array): void {
    let off = 0;
    this.model.shared.forEach((v) => {
      pairs.push([v, this.tf.tensor(Float32Array.from(grad.subarray(off, off + v.size)), v.shape)]);
      off += v.size;
    });
  }

  private pushHeads(pairs: [TF.Variable, TF.Tensor][], headGrads: TF.Tensor[][], scale: Float64Array | null): void {
    headGrads.forEach((grads, t) => {
      const s = scale ? (scale[t] as number) : 1;
      (this.model.heads[t] as readonly TF.Variable[]).forEach((v, k) => {
        const g = grads[k] as TF.Tensor;
        if (s === 1) pairs.push([v, g]);
        else {
          pairs.push([v, this.tf.mul(g, s)]);
          g.dispose();
        }
      });
    });
  }

  /** Nash-MTL's clip_grad_norm_ on the shared parameters. */
  private clip(pairs: [TF.Variable, TF.Tensor][]): void {
    const max = this.options.maxGradNorm ?? 0;
    if (!(max > 0)) return;
    const tf = this.tf;
    const shared = new Set(this.model.shared.map((v) => v.name));
    const idx = pairs.map((p, i) => (shared.has(p[0].name) ? i : -1)).filter((i) => i >= 0);
    const total = Math.sqrt(idx.reduce((s, i) => s + (tf.tidy(() => tf.sum(tf.square(pairs[i]![1])).dataSync()[0]) as number), 0));
    const f = max / (total + 1e-6);
    if (f >= 1) return;
    for (const i of idx) {
      const p = pairs[i]!;
      const scaled = tf.mul(p[1], f);
      p[1].dispose();
      p[1] = scaled;
    }
  }

  dispose(): void {
    this.lossScale?.dispose();
  }
}
