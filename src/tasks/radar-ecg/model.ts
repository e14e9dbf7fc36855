/**
 * radarODE-MTL (ZYY0844/radarODE-MTL, HEAD efd4979) as a {@link MultiTaskModel}: the shared
 * DCN-ResNet encoder + squeeze module, and the ECG-shape, PPI and anchor heads, built from the spec
 * of spec.ts over explicit tf.Variables. Tasks, in order: ECG_shape → [B, 200], PPI → [B, 260]
 * logits, Anchor → [B, 800].
 *
 * Layout: input [B, bins, frames, channels] (PyTorch B×50×71×120 becomes B×71×120×50); the
 * representation is [B, L, C] (PyTorch B×1024×31 becomes B×31×1024). Weight layouts: layers.ts.
 *
 * Init (§1.9, PyTorch defaults): weights and biases U(±1/√fan_in) (fan_in = Cout·k for transposed
 * convs), BN γ = 1, β = 0, running mean 0 / var 1, the DCN offset-conv weight 0. Each parameter
 * draws from its own stream Rng(`${seed}:${name}`), so a parameter's initial value depends only on
 * the seed, its name and shape (the ODE switch does not change the other parameters).
 *
 * Batch norm: training forwards use batch statistics and record the batch mean and unbiased
 * variance; commitBuffers() applies running = 0.9·running + 0.1·batch (PyTorch momentum 0.1,
 * eps 1e-5) and counts num_batches_tracked. If several training forwards run before a commit
 * (e.g. one encoder pass per task), the last one's statistics are applied, once.
 *
 * Deviations: the ODE branch is built only with `ode: true` (the reference instantiates it but
 * its active path at HEAD does not use it; unused parameters get no gradient there either);
 * flatten before a Linear uses PyTorch's channel-major order so weights port one to one.
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../../errors.js';
import { Rng, type RngState } from '../../rng.js';
import { currentBackend } from '../../tf/backend.js';
import type { MultiTaskModel } from '../../tf/model.js';
import { batchNorm, conv1d, conv2d, convTranspose1d, convTranspose2d, deformConv2d, dropout, linear, type BatchStats, type DeformImpl, type Tf } from './layers.js';
import { solveOde } from './ode.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from './presets.js';
import { buildRadarOdeSpec, countSpec, leaves, RADAR_ECG_TASKS, type LeafSpec, type ModuleSpec, type RadarOdeArch, type RadarOdeSpec, type SeqSpec, type SpecCounts } from './spec.js';

export interface RadarOdeConfig extends RadarOdeArch {
  /** Seed of the initialisation and of dropout masks. */
  readonly seed: number;
  /** DCN bilinear sampling: fused kernels where available (default) or standard ops. */
  readonly deformImpl?: DeformImpl;
}

export type RadarOdeOptions = Partial<RadarOdeConfig> & { readonly preset?: RadarEcgPresetName };

/** Preset values overridden by explicit fields; defaults: preset 'paper', ode off, seed 0. */
export function resolveRadarOdeConfig(opts: RadarOdeOptions = {}): RadarOdeConfig {
  const name = opts.preset ?? 'paper';
  const preset = RADAR_ECG_PRESETS[name];
  if (!preset) throw new ConfigError('preset', name, `one of ${Object.keys(RADAR_ECG_PRESETS).join(', ')}`);
  const cfg: RadarOdeConfig = {
    channels: opts.channels ?? preset.channels,
    bins: opts.bins ?? preset.bins,
    frames: opts.frames ?? preset.frames,
    width: opts.width ?? preset.width,
    minChannels: opts.minChannels ?? ('minChannels' in preset ? preset.minChannels : undefined),
    outputBias: opts.outputBias ?? ('outputBias' in preset ? preset.outputBias : undefined),
    ode: opts.ode ?? false,
    seed: opts.seed ?? 0,
    deformImpl: opts.deformImpl ?? 'auto',
  };
  if (!Number.isFinite(cfg.seed)) throw new ConfigError('seed', cfg.seed, 'a finite number');
  if (!['auto', 'fused', 'ops'].includes(cfg.deformImpl ?? 'auto')) throw new ConfigError('deformImpl', cfg.deformImpl, "'auto', 'fused' or 'ops'");
  return cfg;
}

interface BnState {
  readonly mean: TF.Variable;
  readonly variance: TF.Variable;
  readonly count: TF.Variable;
}

interface Ctx {
  readonly training: boolean;
}

let modelCounter = 0;

export class RadarOdeModel implements MultiTaskModel {
  readonly taskNames = RADAR_ECG_TASKS;
  readonly shared: TF.Variable[] = [];
  readonly heads: TF.Variable[][] = [[], [], []];
  readonly buffers: TF.Variable[] = [];
  readonly spec: RadarOdeSpec;
  readonly counts: SpecCounts;
  private readonly params = new Map<string, TF.Variable[]>();
  private readonly bn = new Map<string, BnState>();
  private readonly pending = new Map<string, BatchStats>();
  private readonly dropoutRng: Rng;
  private disposed = false;

  constructor(
    private readonly tf: Tf,
    readonly config: RadarOdeConfig,
  ) {
    this.spec = buildRadarOdeSpec(config);
    this.counts = countSpec(this.spec);
    this.dropoutRng = Rng.fromSeed(`${config.seed}:dropout`);
    const id = ++modelCounter;
    const alloc = (m: ModuleSpec, into: TF.Variable[]): void => {
      for (const leaf of leaves(m)) {
        const vars = leaf.params.map((p) => {
          const v = tf.variable(initTensor(tf, `${config.seed}:${leaf.name}.${p.name}`, p), true, `radar-ecg#${id}/${leaf.name}.${p.name}`);
          into.push(v);
          return v;
        });
        this.params.set(leaf.name, vars);
        if (leaf.layer.kind === 'bn') {
          const c = leaf.layer.c;
          const state: BnState = {
            mean: tf.variable(tf.zeros([c]), false, `radar-ecg#${id}/${leaf.name}.running_mean`),
            variance: tf.variable(tf.ones([c]), false, `radar-ecg#${id}/${leaf.name}.running_var`),
            count: tf.variable(tf.scalar(0), false, `radar-ecg#${id}/${leaf.name}.num_batches_tracked`),
          };
          this.bn.set(leaf.name, state);
          this.buffers.push(state.mean, state.variance, state.count);
        }
      }
    };
    // tidy disposes the initial-value tensors; variables survive it.
    tf.tidy(() => {
      alloc(this.spec.encoder, this.shared);
      RADAR_ECG_TASKS.forEach((t, i) => alloc(this.spec.heads[t], this.heads[i]!));
    });
  }

  randomState(): RngState {
    return this.dropoutRng.state();
  }

  restoreRandomState(state: RngState): void {
    this.dropoutRng.restore(state);
  }

  encode(x: TF.Tensor, training: boolean): TF.Tensor {
    const want = this.spec.inputShape;
    if (x.rank !== 4 || x.shape.slice(1).join() !== want.join()) throw new ShapeError('radar-ecg input', ['B', ...want], x.shape);
    return this.run(this.spec.encoder, x, { training });
  }

  head(task: number, rep: TF.Tensor, training: boolean): TF.Tensor {
    const name = RADAR_ECG_TASKS[task];
    if (!name) throw new ConfigError('task', task, `0..${RADAR_ECG_TASKS.length - 1}`);
    const want = this.spec.encoder.outShape;
    if (rep.rank !== 3 || rep.shape.slice(1).join() !== want.join()) throw new ShapeError('radar-ecg representation', ['B', ...want], rep.shape);
    const spec = this.spec.heads[name];
    const ctx = { training };
    if (name === 'ECG_shape' && this.config.ode) return this.shapeHeadWithOde(spec, rep, ctx);
    return this.run(spec, rep, ctx);
  }

  /** Encoder and all heads. */
  forward(x: TF.Tensor, training: boolean): { rep: TF.Tensor; outputs: TF.Tensor[] } {
    const rep = this.encode(x, training);
    return { rep, outputs: RADAR_ECG_TASKS.map((_, t) => this.head(t, rep, training)) };
  }

  commitBuffers(): void {
    const tf = this.tf;
    for (const [name, stats] of this.pending) {
      const s = this.bn.get(name)!;
      tf.tidy(() => {
        s.mean.assign(tf.add(tf.mul(s.mean, 0.9), tf.mul(stats.mean, 0.1)));
        s.variance.assign(tf.add(tf.mul(s.variance, 0.9), tf.mul(stats.variance, 0.1)));
        s.count.assign(tf.add(s.count, 1));
      });
      tf.dispose([stats.mean, stats.variance]);
    }
    this.pending.clear();
  }

  /** Drop recorded batch statistics without applying them. */
  discardBuffers(): void {
    for (const s of this.pending.values()) this.tf.dispose([s.mean, s.variance]);
    this.pending.clear();
  }

  /** [begin, end) of each PyTorch leaf module's parameters in the flattened shared θ. */
  layerGroups(): [number, number][] {
    const out: [number, number][] = [];
    let at = 0;
    for (const leaf of leaves(this.spec.encoder)) {
      const sizes = leaf.params.map((p) => p.shape.reduce((a, b) => a * b, 1));
      for (const g of leaf.groups) {
        const n = g.reduce((a, i) => a + sizes[i]!, 0);
        out.push([at, at + n]);
        at += n;
      }
    }
    return out;
  }

  /** The variables of one leaf layer (by its dotted name), e.g. for tests and checkpoints. */
  layerParams(name: string): readonly TF.Variable[] {
    const v = this.params.get(name);
    if (!v) throw new ConfigError('layer', name, 'a layer name of the spec');
    return v;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.discardBuffers();
    this.tf.dispose([...this.shared, ...this.heads.flat(), ...this.buffers]);
  }

  // ---- forward ----

  private run(m: ModuleSpec, x: TF.Tensor, ctx: Ctx): TF.Tensor {
    if (m.type === 'leaf') return this.apply(m, x, ctx);
    if (m.type === 'residual') return this.tf.add(this.run(m.body, x, ctx), x);
    let h = x;
    const cs = m.children;
    for (let i = 0; i < cs.length; i++) {
      const c = cs[i]!;
      // BN followed by ReLU runs as one fused op.
      const next = cs[i + 1];
      if (c.type === 'leaf' && c.layer.kind === 'bn' && next?.type === 'leaf' && next.layer.kind === 'relu') {
        h = this.apply(c, h, ctx, true);
        i++;
      } else {
        h = this.run(c, h, ctx);
      }
    }
    return h;
  }

  private shapeHeadWithOde(spec: SeqSpec, rep: TF.Tensor, ctx: Ctx): TF.Tensor {
    const [enc, conv, outConv, estimator, fusion] = spec.children as [ModuleSpec, ModuleSpec, ModuleSpec, ModuleSpec, ModuleSpec];
    const feat = this.run(conv, this.run(enc, rep, ctx), ctx);
    const xt = this.run(outConv, feat, ctx);
    const z = this.run(estimator, feat, ctx);
    return this.run(fusion, this.tf.mul(xt, z), ctx);
  }

  private apply(leaf: LeafSpec, x: TF.Tensor, ctx: Ctx, withRelu = false): TF.Tensor {
    const tf = this.tf;
    const p = this.params.get(leaf.name)!;
    const L = leaf.layer;
    const b = x.shape[0]!;
    switch (L.kind) {
      case 'conv2d':
        return conv2d(tf, x as TF.Tensor4D, p[0] as TF.Tensor4D, L.bias ? (p[1] as TF.Tensor1D) : null, L.s, L.p);
      case 'dcn':
        return deformConv2d(tf, x as TF.Tensor4D, p[1] as TF.Tensor4D, p[2] as TF.Tensor1D, p[0] as TF.Tensor4D, this.config.deformImpl);
      case 'conv1d':
        return conv1d(tf, x as TF.Tensor3D, p[0] as TF.Tensor3D, p[1] as TF.Tensor1D, L.s, L.p);
      case 'convT1d':
        return convTranspose1d(tf, x as TF.Tensor3D, p[0] as TF.Tensor3D, p[1] as TF.Tensor1D, L.s, L.p, L.op);
      case 'convT2d':
        return convTranspose2d(tf, x as TF.Tensor4D, p[0] as TF.Tensor4D, p[1] as TF.Tensor1D, L.s, L.p, L.op);
      case 'bn': {
        const s = this.bn.get(leaf.name)!;
        const running = { mean: s.mean as TF.Tensor1D, variance: s.variance as TF.Tensor1D };
        const { y, stats } = batchNorm(tf, x, p[0] as TF.Tensor1D, p[1] as TF.Tensor1D, running, ctx.training, { relu: withRelu });
        if (stats) {
          const old = this.pending.get(leaf.name);
          if (old) tf.dispose([old.mean, old.variance]);
          this.pending.set(leaf.name, stats);
        }
        return y;
      }
      case 'linear':
        return linear(tf, x as TF.Tensor2D, p[0] as TF.Tensor2D, p[1] as TF.Tensor1D);
      case 'relu':
        return tf.relu(x);
      case 'tanh':
        return tf.tanh(x);
      case 'dropout':
        return dropout(tf, x, L.rate, ctx.training, this.dropoutRng.int(2 ** 31));
      case 'flatten':
        return tf.reshape(tf.transpose(x, [0, 2, 1]), [b, -1]);
      case 'squeezeH':
      case 'squeezeC':
        return tf.reshape(x, [b, ...leaf.outShape]);
      case 'ode':
        return solveOde(tf, x as TF.Tensor2D);
      case 'fuseStack': {
        const r = tf.reshape(x, [b, 1, leaf.inShape[0]!, 1]);
        return tf.concat([r, r, r, r], 1);
      }
      case 'heightToChannels':
        return tf.transpose(tf.reshape(x, [b, leaf.inShape[0]!, leaf.inShape[1]!]), [0, 2, 1]);
      case 'positionBias':
        return tf.add(x, p[0]!);
    }
  }
}

function initTensor(tf: Tf, stream: string, p: { shape: readonly number[]; init: LeafSpec['params'][number]['init'] }): TF.Tensor {
  const shape = [...p.shape];
  if (p.init.type === 'zeros') return tf.zeros(shape);
  if (p.init.type === 'ones') return tf.ones(shape);
  const n = shape.reduce((a, b) => a * b, 1);
  const rng = Rng.fromSeed(stream);
  const v = new Float32Array(n);
  const bound = p.init.bound;
  for (let i = 0; i < n; i++) v[i] = (2 * rng.uniform() - 1) * bound;
  return tf.tensor(v, shape);
}

/**
 * Build radarODE-MTL (a preset, optionally overridden field by field). `tf` defaults to the loaded
 * backend's (call loadBackend() first).
 */
export function createRadarOdeModel(opts: RadarOdeOptions = {}, tf: Tf = currentBackend().tf): RadarOdeModel {
  return new RadarOdeModel(tf, resolveRadarOdeConfig(opts));
}
