/**
 * The NYUv2 network: hard parameter sharing with a dilated ResNet encoder and one DeepLab head
 * per task (segmentation 13 classes, depth 1, surface normal 3), as LibMTL's `examples/nyu`
 * (mtl-methods.md §5), written as plain functions over explicit tf.Variables.
 *
 * - Encoder (`resnet_dilated('resnet50')`): stem 7×7/2 conv + BN + ReLU + 3×3/2 max pool, then
 *   bottleneck stages [3, 4, 6, 3] of widths 64..512 (×4 expansion), where layer3 and layer4 have
 *   their stride-2 convs turned to stride 1 and their 3×3 convs dilated by 2 and 4 (the block that
 *   used to downsample gets half the dilation, as LibMTL's `_nostride_dilate`): output stride 8,
 *   2048 channels (36×48 at 288×384).
 * - Head (`DeepLabHead(2048, C)`): ASPP with a 1×1 branch, three 3×3 branches at rates 12/24/36
 *   and an image-pooling branch (256 channels each, BN + ReLU), a 1×1 projection + BN + ReLU +
 *   dropout 0.5, then 3×3 conv 256 + BN + ReLU and a 1×1 conv (with bias) to C.
 * - Predictions are upsampled to the input resolution (bilinear, align_corners = true) inside
 *   `head()`, as LibMTL's `process_preds` does before losses and metrics.
 * Scaled-down presets keep the structure with basic blocks, fewer channels and a light stem.
 *
 * Semantics follow PyTorch: explicit symmetric padding, BN with batch statistics in training
 * (biased variance to normalise, unbiased for the running variance, momentum 0.1, eps 1e-5),
 * dropout masks drawn from the model's Rng. Moving statistics are only written in commitBuffers().
 *
 * Deviations: weights are randomly initialised (He normal, fan-out, as torchvision's ResNet; the
 * final 1×1 conv as PyTorch's default uniform), not ImageNet-pretrained; the max pool pads with
 * zeros, which equals PyTorch's −∞ padding because its input is a ReLU output (≥ 0).
 *
 * Speed on wasm: dilated convs run as space-to-batch + plain conv + batch-to-space, written with
 * rank-4 transposes (TF.js has no gradient for dilated conv2d, and its spaceToBatchND is slow on
 * wasm), so all gradients go through the fast conv kernels.
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError, ShapeError } from '../../errors.js';
import type { Rng, RngState } from '../../rng.js';
import type { MultiTaskModel } from '../../tf/model.js';

type Tf = typeof TF;

export const NYUV2_TASKS = ['segmentation', 'depth', 'normal'] as const;
export type Nyuv2Task = (typeof NYUV2_TASKS)[number];
export const NYUV2_TASK_CHANNELS: Readonly<Record<Nyuv2Task, number>> = { segmentation: 13, depth: 1, normal: 3 };

export interface ResNetStage {
  /** Bottleneck width (output channels are 4× for bottleneck blocks, 1× for basic blocks). */
  readonly channels: number;
  readonly blocks: number;
  readonly stride: 1 | 2;
  /** Dilation of the stage's 3×3 convs (1 = none). */
  readonly dilation: number;
  /** Dilation of the first block's strided-turned-dilated 3×3 conv (LibMTL: dilation/2). */
  readonly firstDilation?: number;
}

export interface NyuModelConfig {
  readonly preset: string;
  /** Input (and label) resolution. */
  readonly inputHeight: number;
  readonly inputWidth: number;
  /** 'resnet': 7×7/2 conv + 3×3/2 max pool (output stride 4); 'light': one 3×3/2 conv (2). */
  readonly stem: 'resnet' | 'light';
  readonly stemChannels: number;
  readonly block: 'bottleneck' | 'basic';
  readonly stages: readonly ResNetStage[];
  readonly aspp: { readonly channels: number; readonly rates: readonly number[]; readonly imagePooling: boolean; readonly dropout: number };
  readonly bnMomentum: number;
  readonly bnEps: number;
}

const PAPER: NyuModelConfig = {
  preset: 'paper',
  inputHeight: 288,
  inputWidth: 384,
  stem: 'resnet',
  stemChannels: 64,
  block: 'bottleneck',
  stages: [
    { channels: 64, blocks: 3, stride: 1, dilation: 1 },
    { channels: 128, blocks: 4, stride: 2, dilation: 1 },
    { channels: 256, blocks: 6, stride: 1, dilation: 2, firstDilation: 1 },
    { channels: 512, blocks: 3, stride: 1, dilation: 4, firstDilation: 2 },
  ],
  aspp: { channels: 256, rates: [12, 24, 36], imagePooling: true, dropout: 0.5 },
  bnMomentum: 0.1,
  bnEps: 1e-5,
};

/** Model presets: `paper` (LibMTL's ResNet-50 dilated + DeepLab ASPP), `small` and `ci` for CPU. */
export const NYU_MODEL_PRESETS: Readonly<Record<'paper' | 'small' | 'ci', NyuModelConfig>> = {
  paper: PAPER,
  small: {
    preset: 'small',
    inputHeight: 72,
    inputWidth: 96,
    stem: 'light',
    stemChannels: 24,
    block: 'basic',
    stages: [
      { channels: 24, blocks: 2, stride: 1, dilation: 1 },
      { channels: 48, blocks: 2, stride: 2, dilation: 1 },
      { channels: 96, blocks: 2, stride: 1, dilation: 2, firstDilation: 1 },
      { channels: 128, blocks: 1, stride: 1, dilation: 4, firstDilation: 2 },
    ],
    aspp: { channels: 64, rates: [2, 4, 6], imagePooling: true, dropout: 0.3 },
    bnMomentum: 0.1,
    bnEps: 1e-5,
  },
  ci: {
    preset: 'ci',
    inputHeight: 32,
    inputWidth: 48,
    stem: 'light',
    stemChannels: 16,
    block: 'basic',
    stages: [
      { channels: 16, blocks: 1, stride: 1, dilation: 1 },
      { channels: 32, blocks: 1, stride: 2, dilation: 1 },
      { channels: 48, blocks: 1, stride: 1, dilation: 2, firstDilation: 1 },
    ],
    aspp: { channels: 32, rates: [1, 2, 3], imagePooling: true, dropout: 0 },
    bnMomentum: 0.1,
    bnEps: 1e-5,
  },
};
export type NyuModelPreset = keyof typeof NYU_MODEL_PRESETS;

/** Output stride of the encoder (input size / feature size). */
export function outputStride(cfg: NyuModelConfig): number {
  return (cfg.stem === 'resnet' ? 4 : 2) * cfg.stages.reduce((a, s) => a * s.stride, 1);
}

/** Channels of the encoder's output. */
export function encoderChannels(cfg: NyuModelConfig): number {
  const last = cfg.stages.at(-1);
  if (!last) return cfg.stemChannels;
  return cfg.block === 'bottleneck' ? last.channels * 4 : last.channels;
}

export function validateNyuConfig(cfg: NyuModelConfig): void {
  const pos = (field: string, v: number): void => {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`nyuv2 model ${cfg.preset}: ${field}`, v, 'a positive integer');
  };
  pos('inputHeight', cfg.inputHeight);
  pos('inputWidth', cfg.inputWidth);
  pos('stemChannels', cfg.stemChannels);
  pos('aspp.channels', cfg.aspp.channels);
  cfg.stages.forEach((s, i) => {
    pos(`stages[${i}].channels`, s.channels);
    pos(`stages[${i}].blocks`, s.blocks);
    pos(`stages[${i}].dilation`, s.dilation);
    if (s.stride !== 1 && s.stride !== 2) throw new ConfigError(`nyuv2 model ${cfg.preset}: stages[${i}].stride`, s.stride, '1 or 2');
    if (s.stride === 2 && s.dilation !== 1) throw new ConfigError(`nyuv2 model ${cfg.preset}: stages[${i}]`, s, 'stride 2 only without dilation');
  });
  cfg.aspp.rates.forEach((r, i) => pos(`aspp.rates[${i}]`, r));
  if (!(cfg.aspp.dropout >= 0 && cfg.aspp.dropout < 1)) throw new ConfigError(`nyuv2 model ${cfg.preset}: aspp.dropout`, cfg.aspp.dropout, 'a rate in [0, 1)');
  const os = outputStride(cfg);
  if (cfg.inputHeight < os || cfg.inputWidth < os) throw new ConfigError(`nyuv2 model ${cfg.preset}: input size`, `${cfg.inputHeight}×${cfg.inputWidth}`, `at least the output stride ${os}`);
}

// ---------------------------------------------------------------------------------------------
// Layers

interface Conv {
  readonly kind: 'conv';
  readonly name: string;
  readonly w: TF.Variable;
  readonly b: TF.Variable | null;
  readonly k: number;
  readonly stride: number;
  readonly dilation: number;
}

interface BatchNorm {
  readonly kind: 'bn';
  readonly name: string;
  readonly gamma: TF.Variable;
  readonly beta: TF.Variable;
  readonly mean: TF.Variable;
  readonly variance: TF.Variable;
}

type Layer = Conv | BatchNorm;

interface Block {
  readonly conv: Conv[];
  readonly bn: BatchNorm[];
  readonly down: { conv: Conv; bn: BatchNorm } | null;
}

interface Head {
  readonly branches: { conv: Conv; bn: BatchNorm }[];
  readonly pool: { conv: Conv; bn: BatchNorm } | null;
  readonly project: { conv: Conv; bn: BatchNorm };
  readonly refine: { conv: Conv; bn: BatchNorm };
  readonly out: Conv;
}

/**
 * Fill with N(0, std²) from a splitmix32 stream seeded by one draw of the model Rng (Box-Muller,
 * both values used): about 5× faster than drawing each value from the Rng, which matters for the
 * 72 M weights of the paper-scale network, and still determined by the Rng.
 */
function fillNormal(a: Float32Array, std: number, seed: number): Float32Array {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (((z ^ (z >>> 16)) >>> 0) + 0.5) / 4294967296; // in (0, 1)
  };
  for (let i = 0; i < a.length; i += 2) {
    const r = std * Math.sqrt(-2 * Math.log(next()));
    const t = 2 * Math.PI * next();
    a[i] = r * Math.cos(t);
    if (i + 1 < a.length) a[i + 1] = r * Math.sin(t);
  }
  return a;
}

/** Creates variables in a fixed order, recording which group (shared or head t) owns them. */
class ParamBuilder {
  readonly params: TF.Variable[] = [];
  readonly names: string[] = [];
  readonly buffers: TF.Variable[] = [];
  readonly bufferNames: string[] = [];
  readonly layers: Layer[] = [];

  constructor(
    private readonly tf: Tf,
    private readonly rng: Rng,
  ) {}

  private variable(name: string, shape: number[], fill: (n: number) => Float32Array, trainable: boolean): TF.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const init = this.tf.tensor(fill(n), shape);
    const v = this.tf.variable(init, trainable);
    init.dispose();
    (trainable ? this.params : this.buffers).push(v);
    (trainable ? this.names : this.bufferNames).push(name);
    return v;
  }

  conv(name: string, k: number, cin: number, cout: number, opts: { stride?: number; dilation?: number; bias?: boolean; init?: 'he' | 'torch-default' } = {}): Conv {
    const fanOut = k * k * cout;
    const fanIn = k * k * cin;
    const rng = this.rng;
    const init = opts.init ?? 'he';
    const he = (n: number): Float32Array => fillNormal(new Float32Array(n), Math.sqrt(2 / fanOut), rng.int(2 ** 32));
    const unif = (n: number): Float32Array => {
      const bound = 1 / Math.sqrt(fanIn);
      const a = new Float32Array(n);
      for (let i = 0; i < n; i++) a[i] = bound * (2 * rng.uniform() - 1);
      return a;
    };
    const w = this.variable(`${name}.weight`, [k, k, cin, cout], init === 'he' ? he : unif, true);
    const b = opts.bias ? this.variable(`${name}.bias`, [cout], unif, true) : null;
    const layer: Conv = { kind: 'conv', name, w, b, k, stride: opts.stride ?? 1, dilation: opts.dilation ?? 1 };
    this.layers.push(layer);
    return layer;
  }

  bn(name: string, c: number): BatchNorm {
    const ones = (n: number): Float32Array => new Float32Array(n).fill(1);
    const zeros = (n: number): Float32Array => new Float32Array(n);
    const layer: BatchNorm = {
      kind: 'bn',
      name,
      gamma: this.variable(`${name}.weight`, [c], ones, true),
      beta: this.variable(`${name}.bias`, [c], zeros, true),
      mean: this.variable(`${name}.running_mean`, [c], zeros, false),
      variance: this.variable(`${name}.running_var`, [c], ones, false),
    };
    this.layers.push(layer);
    return layer;
  }
}

interface PendingStats {
  readonly mean: TF.Tensor;
  readonly variance: TF.Tensor;
  readonly count: number;
}

/** The NYUv2 multi-task model. */
export class NyuModel implements MultiTaskModel {
  readonly taskNames: readonly string[] = NYUV2_TASKS;
  readonly shared: readonly TF.Variable[];
  readonly heads: readonly (readonly TF.Variable[])[];
  readonly buffers: readonly TF.Variable[];
  /** Parameter names in PyTorch style (`encoder.layer3.0.conv2.weight`), parallel to the arrays. */
  readonly paramNames: { readonly shared: readonly string[]; readonly heads: readonly (readonly string[])[]; readonly buffers: readonly string[] };

  private readonly stem: { conv: Conv; bn: BatchNorm };
  private readonly blocks: Block[] = [];
  private readonly headLayers: Head[] = [];
  private readonly sharedLayers: Layer[];
  private readonly pending = new Map<BatchNorm, PendingStats>();

  constructor(
    private readonly tf: Tf,
    readonly config: NyuModelConfig,
    /** Draws the initial weights, then the dropout masks (its state belongs to a checkpoint). */
    readonly rng: Rng,
  ) {
    validateNyuConfig(config);
    const enc = new ParamBuilder(tf, rng);
    const stemK = config.stem === 'resnet' ? 7 : 3;
    this.stem = { conv: enc.conv('encoder.conv1', stemK, 3, config.stemChannels, { stride: 2 }), bn: enc.bn('encoder.bn1', config.stemChannels) };
    let cin = config.stemChannels;
    const exp = config.block === 'bottleneck' ? 4 : 1;
    config.stages.forEach((st, si) => {
      for (let b = 0; b < st.blocks; b++) {
        const p = `encoder.layer${si + 1}.${b}`;
        const stride = b === 0 ? st.stride : 1;
        const dil = b === 0 ? (st.firstDilation ?? st.dilation) : st.dilation;
        const cout = st.channels * exp;
        const conv: Conv[] = [];
        const bn: BatchNorm[] = [];
        if (config.block === 'bottleneck') {
          conv.push(enc.conv(`${p}.conv1`, 1, cin, st.channels));
          bn.push(enc.bn(`${p}.bn1`, st.channels));
          conv.push(enc.conv(`${p}.conv2`, 3, st.channels, st.channels, { stride, dilation: dil }));
          bn.push(enc.bn(`${p}.bn2`, st.channels));
          conv.push(enc.conv(`${p}.conv3`, 1, st.channels, cout));
          bn.push(enc.bn(`${p}.bn3`, cout));
        } else {
          conv.push(enc.conv(`${p}.conv1`, 3, cin, cout, { stride, dilation: dil }));
          bn.push(enc.bn(`${p}.bn1`, cout));
          conv.push(enc.conv(`${p}.conv2`, 3, cout, cout, { dilation: st.dilation }));
          bn.push(enc.bn(`${p}.bn2`, cout));
        }
        const down = stride !== 1 || cin !== cout ? { conv: enc.conv(`${p}.downsample.0`, 1, cin, cout, { stride }), bn: enc.bn(`${p}.downsample.1`, cout) } : null;
        this.blocks.push({ conv, bn, down });
        cin = cout;
      }
    });
    this.sharedLayers = enc.layers;
    const heads: TF.Variable[][] = [];
    const headNames: string[][] = [];
    const headBuffers: TF.Variable[] = [];
    const headBufferNames: string[] = [];
    const ch = config.aspp.channels;
    NYUV2_TASKS.forEach((task) => {
      const hb = new ParamBuilder(tf, rng);
      const p = `decoders.${task}`;
      const branches = [{ conv: hb.conv(`${p}.aspp.convs.0.0`, 1, cin, ch), bn: hb.bn(`${p}.aspp.convs.0.1`, ch) }];
      config.aspp.rates.forEach((r, i) => branches.push({ conv: hb.conv(`${p}.aspp.convs.${i + 1}.0`, 3, cin, ch, { dilation: r }), bn: hb.bn(`${p}.aspp.convs.${i + 1}.1`, ch) }));
      const nb = config.aspp.rates.length + 1;
      const pool = config.aspp.imagePooling ? { conv: hb.conv(`${p}.aspp.convs.${nb}.1`, 1, cin, ch), bn: hb.bn(`${p}.aspp.convs.${nb}.2`, ch) } : null;
      const cat = ch * (nb + (pool ? 1 : 0));
      const project = { conv: hb.conv(`${p}.aspp.project.0`, 1, cat, ch), bn: hb.bn(`${p}.aspp.project.1`, ch) };
      const refine = { conv: hb.conv(`${p}.1`, 3, ch, ch), bn: hb.bn(`${p}.2`, ch) };
      const out = hb.conv(`${p}.4`, 1, ch, NYUV2_TASK_CHANNELS[task], { bias: true, init: 'torch-default' });
      this.headLayers.push({ branches, pool, project, refine, out });
      heads.push(hb.params);
      headNames.push(hb.names);
      headBuffers.push(...hb.buffers);
      headBufferNames.push(...hb.bufferNames);
    });
    this.shared = enc.params;
    this.heads = heads;
    this.buffers = [...enc.buffers, ...headBuffers];
    this.paramNames = { shared: enc.names, heads: headNames, buffers: [...enc.bufferNames, ...headBufferNames] };
  }

  /** Number of trainable parameters: shared, per head, total. */
  parameterCount(): { shared: number; heads: number[]; total: number } {
    const size = (vs: readonly TF.Variable[]): number => vs.reduce((a, v) => a + v.size, 0);
    const shared = size(this.shared);
    const heads = this.heads.map(size);
    return { shared, heads, total: shared + heads.reduce((a, b) => a + b, 0) };
  }

  // ---- layers -----------------------------------------------------------------------------

  private conv(x: TF.Tensor4D, c: Conv): TF.Tensor4D {
    const tf = this.tf;
    const pad = (c.dilation * (c.k - 1)) / 2;
    let y: TF.Tensor4D;
    if (c.dilation === 1) {
      y = tf.conv2d(x, c.w as TF.Tensor4D, c.stride, pad === 0 ? 'valid' : pad);
    } else {
      if (c.stride !== 1) throw new ConfigError(`${c.name}: stride`, c.stride, '1 for a dilated conv');
      // Taps more than the map's size away from the centre only see padding: drop them (exact;
      // at rate ≥ H and ≥ W the ASPP branch is a 1×1 conv with the centre tap).
      const r = c.dilation;
      const [b, h, w] = x.shape;
      const liveH = r < h;
      const liveW = r < w;
      const half = (c.k - 1) / 2;
      const wk = liveH && liveW ? (c.w as TF.Tensor4D) : (tf.slice(c.w, [liveH ? 0 : half, liveW ? 0 : half, 0, 0], [liveH ? c.k : 1, liveW ? c.k : 1, c.w.shape[2]!, c.w.shape[3]!]) as TF.Tensor4D);
      if (!liveH && !liveW) {
        y = tf.conv2d(x, wk, 1, 'valid');
      } else {
        const rh = liveH ? r : 1;
        const rw = liveW ? r : 1;
        const z = tf.conv2d(spaceToBatch(tf, x, rh, rw, liveH ? pad : 0, liveW ? pad : 0), wk, 1, 'valid');
        y = batchToSpace(tf, z, rh, rw, b, h, w);
      }
    }
    return c.b ? tf.add(y, c.b) : y;
  }

  private bn(x: TF.Tensor4D, b: BatchNorm, training: boolean): TF.Tensor4D {
    const tf = this.tf;
    const eps = this.config.bnEps;
    // y = x·s + (β − μ·s) with s = γ/√(σ² + eps), written with broadcasting ops: their gradients
    // are plain reductions (batchNorm's gradient tiles the parameters to the input's shape).
    const affine = (mean: TF.Tensor, variance: TF.Tensor): TF.Tensor4D => {
      const s = tf.mul(b.gamma, tf.rsqrt(tf.add(variance, eps)));
      return tf.add(tf.mul(x, s), tf.sub(b.beta, tf.mul(mean, s))) as TF.Tensor4D;
    };
    if (!training) return affine(b.mean, b.variance);
    const { mean, variance } = tf.moments(x, [0, 1, 2]);
    const count = x.shape[0] * x.shape[1] * x.shape[2];
    const old = this.pending.get(b);
    if (old) {
      old.mean.dispose();
      old.variance.dispose();
    }
    this.pending.set(b, { mean: tf.keep(tf.clone(mean)), variance: tf.keep(tf.clone(variance)), count });
    return affine(mean, variance);
  }

  private cbr(x: TF.Tensor4D, l: { conv: Conv; bn: BatchNorm }, training: boolean, relu = true): TF.Tensor4D {
    const y = this.bn(this.conv(x, l.conv), l.bn, training);
    return relu ? this.tf.relu(y) : y;
  }

  private dropout(x: TF.Tensor4D, rate: number, training: boolean): TF.Tensor4D {
    if (!training || rate === 0) return x;
    const n = x.size;
    const mask = new Float32Array(n);
    const keep = 1 / (1 - rate);
    for (let i = 0; i < n; i++) mask[i] = this.rng.uniform() >= rate ? keep : 0;
    return this.tf.mul(x, this.tf.tensor4d(mask, x.shape));
  }

  // ---- MultiTaskModel -----------------------------------------------------------------------

  randomState(): RngState {
    return this.rng.state();
  }

  restoreRandomState(state: RngState): void {
    this.rng.restore(state);
  }

  encode(x: TF.Tensor, training: boolean): TF.Tensor {
    const tf = this.tf;
    const { inputHeight: H, inputWidth: W } = this.config;
    if (x.rank !== 4 || x.shape[1] !== H || x.shape[2] !== W || x.shape[3] !== 3) throw new ShapeError(`nyuv2 ${this.config.preset} model input`, ['B', H, W, 3], x.shape);
    let h = this.cbr(x as TF.Tensor4D, this.stem, training);
    if (this.config.stem === 'resnet') {
      // 3×3/2 max pool with padding 1 (zero padding = −∞ padding after a ReLU).
      h = tf.maxPool(tf.pad(h, [[0, 0], [1, 1], [1, 1], [0, 0]]), 3, 2, 'valid');
    }
    for (const blk of this.blocks) {
      let y = h;
      const last = blk.conv.length - 1;
      for (let i = 0; i <= last; i++) {
        y = this.bn(this.conv(y, blk.conv[i]!), blk.bn[i]!, training);
        if (i < last) y = tf.relu(y);
      }
      const sc = blk.down ? this.cbr(h, blk.down, training, false) : h;
      h = tf.relu(tf.add(y, sc) as TF.Tensor4D);
    }
    return h;
  }

  /** Head t at feature resolution (before upsampling). */
  headFeatures(task: number, rep: TF.Tensor, training: boolean): TF.Tensor4D {
    const tf = this.tf;
    const hd = this.headLayers[task];
    if (!hd) throw new ConfigError('nyuv2 task index', task, `0..${NYUV2_TASKS.length - 1}`);
    const x = rep as TF.Tensor4D;
    const parts = hd.branches.map((b) => this.cbr(x, b, training));
    if (hd.pool) {
      const g = this.cbr(tf.mean(x, [1, 2], true) as TF.Tensor4D, hd.pool, training);
      // Broadcast (its gradient is one sum; tile's is a slice-and-add per repetition).
      parts.push(tf.mul(g, tf.ones([1, x.shape[1], x.shape[2], 1])));
    }
    let y = this.cbr(tf.concat(parts, 3), hd.project, training);
    y = this.dropout(y, this.config.aspp.dropout, training);
    y = this.cbr(y, hd.refine, training);
    return this.conv(y, hd.out);
  }

  head(task: number, rep: TF.Tensor, training: boolean): TF.Tensor {
    const y = this.headFeatures(task, rep, training);
    return upsampleTo(this.tf, y, this.config.inputHeight, this.config.inputWidth);
  }

  /** Eval-mode predictions of all tasks at input resolution: [seg logits, depth, normal]. */
  predict(x: TF.Tensor4D): TF.Tensor4D[] {
    return this.tf.tidy(() => {
      const rep = this.encode(x, false);
      return NYUV2_TASKS.map((_, t) => this.head(t, rep, false) as TF.Tensor4D);
    });
  }

  commitBuffers(): void {
    const tf = this.tf;
    const m = this.config.bnMomentum;
    for (const [b, s] of this.pending) {
      const unbias = s.count > 1 ? s.count / (s.count - 1) : 1;
      tf.tidy(() => {
        b.mean.assign(tf.add(tf.mul(b.mean, 1 - m), tf.mul(s.mean, m)));
        b.variance.assign(tf.add(tf.mul(b.variance, 1 - m), tf.mul(s.variance, m * unbias)));
      });
      s.mean.dispose();
      s.variance.dispose();
    }
    this.pending.clear();
  }

  /** Forget the statistics of training forwards that will not be committed. */
  discardBuffers(): void {
    for (const s of this.pending.values()) {
      s.mean.dispose();
      s.variance.dispose();
    }
    this.pending.clear();
  }

  /** One group per leaf module with parameters (conv or BN), as LibMTL GradVac's layer split. */
  layerGroups(): [number, number][] {
    const out: [number, number][] = [];
    let at = 0;
    for (const l of this.sharedLayers) {
      const n = l.kind === 'conv' ? l.w.size + (l.b?.size ?? 0) : l.gamma.size + l.beta.size;
      out.push([at, at + n]);
      at += n;
    }
    return out;
  }

  dispose(): void {
    this.discardBuffers();
    for (const v of [...this.shared, ...this.heads.flat(), ...this.buffers]) v.dispose();
  }
}

/**
 * Space-to-batch for a conv dilated by (rh, rw): pad by (ph, pw) (and up to a multiple of the
 * rate at the bottom/right), then move the rh×rw phase offsets into the batch: [B, H, W, C] →
 * [B·rh·rw, ⌈(H + 2ph)/rh⌉, ⌈(W + 2pw)/rw⌉, C]; a 'valid' conv of that equals the dilated conv of
 * the padded input. Rank-4 transposes only: on wasm they run at about plain-conv speed, where
 * the spaceToBatchND op (a rank-6 transpose) costs 3–5× more.
 */
export function spaceToBatch(tf: Tf, x: TF.Tensor4D, rh: number, rw: number, ph: number, pw: number): TF.Tensor4D {
  const [b, h, w, c] = x.shape;
  const eh = (rh - ((h + 2 * ph) % rh)) % rh;
  const ew = (rw - ((w + 2 * pw) % rw)) % rw;
  const hq = (h + 2 * ph + eh) / rh;
  const wq = (w + 2 * pw + ew) / rw;
  let y: TF.Tensor = tf.pad(x, [
    [0, 0],
    [ph, ph + eh],
    [pw, pw + ew],
    [0, 0],
  ]);
  if (rh > 1) y = tf.transpose(tf.reshape(y, [b, hq, rh, wq * rw * c]), [0, 2, 1, 3]); // b ry hq (wq rx c)
  if (rw > 1) {
    y = tf.transpose(tf.reshape(y, [b * rh * hq, wq, rw, c]), [0, 2, 1, 3]); // (b ry hq) rx wq c
    y = tf.transpose(tf.reshape(y, [b * rh, hq, rw, wq * c]), [0, 2, 1, 3]); // (b ry) rx hq (wq c)
  }
  return tf.reshape(y, [b * rh * rw, hq, wq, c]);
}

/** Inverse of {@link spaceToBatch} after a 'valid' conv: [B·rh·rw, hq, wq, C] → [B, h, w, C] (cropped). */
export function batchToSpace(tf: Tf, z: TF.Tensor4D, rh: number, rw: number, b: number, h: number, w: number): TF.Tensor4D {
  const [, hq, wq, c] = z.shape;
  let y: TF.Tensor = z;
  if (rw > 1) {
    y = tf.transpose(tf.reshape(y, [b * rh, rw, hq, wq * c]), [0, 2, 1, 3]); // (b ry) hq rx (wq c)
    y = tf.transpose(tf.reshape(y, [b * rh * hq, rw, wq, c]), [0, 2, 1, 3]); // (b ry hq) wq rx c
  }
  if (rh > 1) y = tf.transpose(tf.reshape(y, [b, rh, hq, wq * rw * c]), [0, 2, 1, 3]); // b hq ry (wq rx c)
  const full = tf.reshape(y, [b, hq * rh, wq * rw, c]) as TF.Tensor4D;
  return hq * rh === h && wq * rw === w ? full : (tf.slice(full, [0, 0, 0, 0], [b, h, w, c]) as TF.Tensor4D);
}

/** Bilinear resize with align_corners = true (no-op when the size already matches). */
export function upsampleTo(tf: Tf, x: TF.Tensor, height: number, width: number): TF.Tensor4D {
  const x4 = x as TF.Tensor4D;
  if (x4.shape[1] === height && x4.shape[2] === width) return x4;
  return tf.image.resizeBilinear(x4, [height, width], true);
}

/**
 * Build the model of a preset (or a full config). `overrides` changes the input size, e.g. to run
 * the paper-scale network on a smaller image.
 */
export function createNyuModel(tf: Tf, preset: NyuModelPreset | NyuModelConfig, rng: Rng, overrides: Partial<Pick<NyuModelConfig, 'inputHeight' | 'inputWidth'>> = {}): NyuModel {
  let base: NyuModelConfig;
  if (typeof preset === 'string') {
    const p = NYU_MODEL_PRESETS[preset];
    if (!p) throw new ConfigError('nyuv2 model preset', preset, `one of ${Object.keys(NYU_MODEL_PRESETS).join(', ')}`);
    base = p;
  } else {
    base = preset;
  }
  return new NyuModel(tf, { ...base, ...overrides }, rng);
}
