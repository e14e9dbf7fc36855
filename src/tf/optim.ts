/**
 * Parameter optimisers with PyTorch's update rules and explicit state (for checkpoints):
 * - SGD: buf ← μ·buf + (g + λθ) (first step: buf = g + λθ), θ ← θ − lr·buf;
 * - Adam: g ← g + λθ (L2, as torch.optim.Adam's weight_decay), bias-corrected moments.
 * Learning-rate schedules are plain functions of the epoch (cosine annealing, step decay).
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError, DataError } from '../errors.js';

type Tf = typeof TF;

export type OptimizerConfig =
  | { readonly kind: 'sgd'; readonly lr: number; readonly momentum: number; readonly weightDecay: number }
  | { readonly kind: 'adam'; readonly lr: number; readonly beta1: number; readonly beta2: number; readonly eps: number; readonly weightDecay: number };

export type ScheduleConfig =
  | { readonly kind: 'constant' }
  | { readonly kind: 'cosine'; readonly tMax: number; readonly etaMin: number }
  | { readonly kind: 'step'; readonly stepSize: number; readonly gamma: number };

/**
 * The schedule of a run of `runEpochs` epochs from a task's schedule for `presetEpochs`: lengths
 * scale with the run (the reference's cosine T_max = epochs / 2 stays half the run; a step
 * schedule keeps its steps at the same fractions of the run).
 */
export function scaleSchedule(schedule: ScheduleConfig, presetEpochs: number, runEpochs: number): ScheduleConfig {
  if (runEpochs === presetEpochs) return schedule;
  const f = runEpochs / presetEpochs;
  switch (schedule.kind) {
    case 'constant':
      return schedule;
    case 'cosine':
      return { ...schedule, tMax: Math.max(1, schedule.tMax * f) };
    case 'step':
      return { ...schedule, stepSize: Math.max(1, Math.round(schedule.stepSize * f)) };
  }
}

/** Learning rate at a (0-based) epoch, as torch's CosineAnnealingLR / StepLR give it after `epoch` scheduler steps. */
export function learningRateAt(base: number, schedule: ScheduleConfig, epoch: number): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'cosine':
      return schedule.etaMin + ((base - schedule.etaMin) * (1 + Math.cos((Math.PI * epoch) / schedule.tMax))) / 2;
    case 'step':
      return base * Math.pow(schedule.gamma, Math.floor(epoch / schedule.stepSize));
  }
}

/**
 * Optimiser state: slot values per parameter, keyed by names the caller gives the parameters
 * (stable across processes, e.g. `shared/3`: never TF.js variable names, which carry per-process
 * counters), and the step count.
 */
export interface OptimizerState {
  readonly step: number;
  readonly slots: Record<string, { shape: number[]; values: Float32Array[] }>;
}

export class Optimizer {
  private readonly slots = new Map<TF.Variable, TF.Variable[]>();
  private stepCount = 0;
  lr: number;

  constructor(
    private readonly tf: Tf,
    readonly config: OptimizerConfig,
  ) {
    if (!(config.lr > 0)) throw new ConfigError('optimizer.lr', config.lr, 'a value > 0');
    if (!(config.weightDecay >= 0)) throw new ConfigError('optimizer.weightDecay', config.weightDecay, 'a value >= 0');
    this.lr = config.lr;
  }

  get steps(): number {
    return this.stepCount;
  }

  /** Apply one update to every (variable, gradient) pair; the gradients are not disposed. */
  apply(pairs: readonly (readonly [TF.Variable, TF.Tensor])[]): void {
    const tf = this.tf;
    const c = this.config;
    this.stepCount++;
    const t = this.stepCount;
    for (const [v, g0] of pairs) {
      tf.tidy(() => {
        const g = c.weightDecay > 0 ? tf.add(g0, tf.mul(v, c.weightDecay)) : g0;
        if (c.kind === 'sgd') {
          if (c.momentum > 0) {
            const existing = this.slots.get(v);
            let buf: TF.Variable;
            if (existing) {
              buf = existing[0]!;
              buf.assign(tf.add(tf.mul(buf, c.momentum), g));
            } else {
              buf = tf.variable(g, false, `${v.name}/slot0`);
              this.slots.set(v, [buf]);
            }
            v.assign(tf.sub(v, tf.mul(buf, this.lr)));
          } else {
            v.assign(tf.sub(v, tf.mul(g, this.lr)));
          }
        } else {
          const [m, s] = this.slotFor(v, 2);
          m!.assign(tf.add(tf.mul(m!, c.beta1), tf.mul(g, 1 - c.beta1)));
          s!.assign(tf.add(tf.mul(s!, c.beta2), tf.mul(tf.square(g), 1 - c.beta2)));
          const bc1 = 1 - Math.pow(c.beta1, t);
          const bc2 = 1 - Math.pow(c.beta2, t);
          const denom = tf.add(tf.div(tf.sqrt(s!), Math.sqrt(bc2)), c.eps);
          v.assign(tf.sub(v, tf.mul(tf.div(m!, denom), this.lr / bc1)));
        }
      });
    }
  }

  /** Zero-initialised slots of a variable (Adam's moments), created on first use. */
  private slotFor(v: TF.Variable, count: number): TF.Variable[] {
    let s = this.slots.get(v);
    if (!s) {
      const tf = this.tf;
      s = tf.tidy(() => Array.from({ length: count }, (_, k) => tf.variable(tf.zerosLike(v), false, `${v.name}/slot${k}`)));
      this.slots.set(v, s);
    }
    return s;
  }

  /** The state, each parameter's slots under its name in `names` (every parameter with slots must be named). */
  getState(names: ReadonlyMap<TF.Variable, string>): OptimizerState {
    const slots: OptimizerState['slots'] = {};
    for (const [v, vars] of this.slots) {
      const name = names.get(v);
      if (name === undefined) throw new Error(`optimizer state: parameter ${v.name} has no stable name`);
      slots[name] = { shape: vars[0]!.shape, values: vars.map((x) => Float32Array.from(x.dataSync())) };
    }
    return { step: this.stepCount, slots };
  }

  /** Restore a state saved by getState; `params` maps the saved names to this process's parameters. */
  setState(state: OptimizerState, params: ReadonlyMap<string, TF.Variable>): void {
    const tf = this.tf;
    for (const [name, { shape }] of Object.entries(state.slots)) {
      const v = params.get(name);
      if (!v) throw new DataError('optimizer state', `slots for unknown parameter ${name}`);
      if (v.shape.join('x') !== shape.join('x')) throw new DataError('optimizer state', `${name}: slot shape [${shape.join(', ')}], parameter shape [${v.shape.join(', ')}]`);
    }
    this.disposeSlots();
    this.stepCount = state.step;
    for (const [name, { shape, values }] of Object.entries(state.slots)) {
      const v = params.get(name)!;
      this.slots.set(
        v,
        tf.tidy(() => values.map((vals, k) => tf.variable(tf.tensor(vals, shape, 'float32'), false, `${v.name}/slot${k}`))),
      );
    }
  }

  private disposeSlots(): void {
    for (const vars of this.slots.values()) for (const v of vars) v.dispose();
    this.slots.clear();
  }

  dispose(): void {
    this.disposeSlots();
  }
}
