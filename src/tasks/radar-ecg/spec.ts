/**
 * The radarODE-MTL architecture as data: a tree of layers with per-sample shapes (channels-last),
 * parameter shapes, buffer counts and forward FLOPs, computed without TF.js. The model builder
 * (model.ts) allocates exactly these parameters and runs exactly these layers, so counts, the
 * layer table and the network cannot disagree. Reference: the official radarODE-MTL code, layer by layer:
 * its layer tables and initialisation.
 *
 * Shapes are per sample and channels-last: a map [H, W, C] (PyTorch C×H×W), a sequence [L, C]
 * (PyTorch C×L), a vector [F].
 *
 * Scaling (config.width, input channels × bins × frames) keeps every layer and its kind:
 * - internal channel counts c become max(min(c, minChannels), round(c·width)) (minChannels
 *   default 1); the input channels, the 18 offset
 *   channels, the 15 ODE parameters, the single output channel and the 260 PPI logits are fixed;
 * - the squeeze conv's kernel height is the encoder's output height (6 at 71 bins);
 * - lengths that feed a task-fixed size are computed: the first Linear of the PPI MLP and of the
 *   ODE parameter estimator take C·L inputs; the last conv of the ECG-shape and anchor heads gets
 *   kernel L − T + 1 (T = 200 / 800; 2 at full scale). Where the head's own length L is shorter
 *   than T (fewer than ~118 frames), that last layer becomes a ConvTranspose1d with kernel = stride
 *   = ⌈T/L⌉, padding ⌈e/2⌉ and output_padding 2⌈e/2⌉ − e (e = L·stride − T), i.e. a learned
 *   upsampling cropped to T. Everything else is unchanged.
 */
import { ConfigError } from '../../errors.js';

export type Shape = readonly number[];

export type LayerKind =
  | { kind: 'conv2d'; cin: number; cout: number; k: [number, number]; s: [number, number]; p: [number, number]; bias: boolean }
  | { kind: 'dcn'; cin: number; cout: number }
  | { kind: 'conv1d'; cin: number; cout: number; k: number; s: number; p: number }
  | { kind: 'convT1d'; cin: number; cout: number; k: number; s: number; p: number; op: number }
  | { kind: 'convT2d'; cin: number; cout: number; k: [number, number]; s: [number, number]; p: [number, number]; op: [number, number] }
  | { kind: 'bn'; c: number }
  | { kind: 'linear'; fin: number; fout: number }
  | { kind: 'relu' }
  | { kind: 'tanh' }
  | { kind: 'dropout'; rate: number }
  /** [L, C] → [C·L] in PyTorch's (channel-major) order. */
  | { kind: 'flatten' }
  /** [1, W, C] → [W, C] (PyTorch squeeze of the height axis). */
  | { kind: 'squeezeH' }
  /** [L, 1] → [L] (drop the single output channel). */
  | { kind: 'squeezeC' }
  /** ECG dynamical model: 15 parameters in (−1, 1) → 200 samples (no trainable parameters). */
  | { kind: 'ode' }
  /** x_t ⊙ ode, stacked 4 times: [200] → [4, 200, 1]. */
  | { kind: 'fuseStack' }
  /** [H, L, 1] → [L, H]: PyTorch's squeeze(1) of B×1×H×L, the height becoming channels. */
  | { kind: 'heightToChannels' }
  /** [L] → [L] plus a learned bias per position (a template); not in the reference (see `outputBias`). */
  | { kind: 'positionBias' };

export interface ParamSpec {
  /** PyTorch-style name within the layer: weight, bias, offset.weight, offset.bias. */
  readonly name: string;
  readonly shape: readonly number[];
  readonly init: { readonly type: 'uniform'; readonly bound: number } | { readonly type: 'zeros' } | { readonly type: 'ones' };
}

export interface LeafSpec {
  readonly type: 'leaf';
  /** Dotted PyTorch-like path, e.g. encoder.stage0.dcn. */
  readonly name: string;
  readonly layer: LayerKind;
  readonly inShape: Shape;
  readonly outShape: Shape;
  readonly params: readonly ParamSpec[];
  /** Parameter groups as PyTorch leaf modules (a DCN is two: offset conv and sampling conv). */
  readonly groups: readonly (readonly number[])[];
  /** Buffer values as PyTorch counts them (BN: mean, var and num_batches_tracked). */
  readonly bufferCount: number;
  /** Forward FLOPs per sample (2 per multiply-add of conv / linear layers and the DCN sampling). */
  readonly flops: number;
}

export interface SeqSpec {
  readonly type: 'seq';
  readonly name: string;
  readonly children: readonly ModuleSpec[];
  readonly inShape: Shape;
  readonly outShape: Shape;
}

export interface ResidualSpec {
  readonly type: 'residual';
  readonly name: string;
  readonly body: SeqSpec;
  readonly inShape: Shape;
  readonly outShape: Shape;
}

export type ModuleSpec = LeafSpec | SeqSpec | ResidualSpec;

export const RADAR_ECG_TASKS = ['ECG_shape', 'PPI', 'Anchor'] as const;
export type RadarEcgTask = (typeof RADAR_ECG_TASKS)[number];

/** Task-fixed output sizes. */
export const OUTPUT_LENGTHS: Readonly<Record<RadarEcgTask, number>> = { ECG_shape: 200, PPI: 260, Anchor: 800 };

export interface RadarOdeArch {
  /** Input channels (radar points), 50 in the paper. */
  readonly channels: number;
  /** Frequency bins (SST rows), 71. */
  readonly bins: number;
  /** Time frames, 120 (4 s at 30 Hz). */
  readonly frames: number;
  /** Channel multiplier, 1 in the paper. */
  readonly width: number;
  /**
   * Floor of a scaled channel count (default 1): a layer of c channels keeps at least
   * min(c, minChannels). At width 1/32 the heads otherwise narrow to one channel followed by
   * BatchNorm and ReLU, a bottleneck a single dead unit closes for good.
   */
  readonly minChannels?: number;
  /**
   * End the ECG-shape head with a learned bias per output sample (200 parameters, zero at
   * initialisation; default off, the reference has none). The head is convolutional, so a cycle
   * template, the same at every position of the window, must come from its features; at width 1/32
   * it cannot hold one and the head stays above the constant mean cycle even on training data.
   */
  readonly outputBias?: boolean;
  /** Build the ECG-shape head's ODE branch (parameter estimator, ECG ODE, fusion); the reference's active path has it off. */
  readonly ode: boolean;
}

export interface RadarOdeSpec {
  readonly arch: RadarOdeArch;
  readonly inputShape: Shape;
  readonly encoder: SeqSpec;
  readonly heads: Readonly<Record<RadarEcgTask, SeqSpec>>;
}

const prod = (s: readonly number[]): number => s.reduce((a, b) => a * b, 1);

function outLen(l: number, k: number, s: number, p: number): number {
  return Math.floor((l + 2 * p - k) / s) + 1;
}

/** A layer that cannot take its input: ConfigError naming the layer, its input shape and the need. */
function fail(layer: string, inShape: Shape, msg: string): never {
  throw new ConfigError(`radar-ecg layer ${layer} input`, `[${inShape.join(', ')}]`, msg);
}

function uniform(bound: number): ParamSpec['init'] {
  return { type: 'uniform', bound };
}

/** Shapes, parameters, buffers and FLOPs of one layer given its input shape. */
export function makeLeaf(name: string, layer: LayerKind, inShape: Shape): LeafSpec {
  let out: number[];
  let params: ParamSpec[] = [];
  let groups: number[][] = [];
  let buffers = 0;
  let flops = 0;
  const expectRank = (r: number): void => {
    if (inShape.length !== r) fail(name, inShape, `rank ${r} for ${layer.kind}`);
  };
  const expectC = (c: number): void => {
    if (inShape[inShape.length - 1] !== c) fail(name, inShape, `${c} channels`);
  };
  switch (layer.kind) {
    case 'conv2d': {
      expectRank(3);
      expectC(layer.cin);
      const [h, w] = inShape as [number, number, number];
      out = [outLen(h, layer.k[0], layer.s[0], layer.p[0]), outLen(w, layer.k[1], layer.s[1], layer.p[1]), layer.cout];
      const fan = layer.cin * layer.k[0] * layer.k[1];
      params = [{ name: 'weight', shape: [layer.k[0], layer.k[1], layer.cin, layer.cout], init: uniform(1 / Math.sqrt(fan)) }];
      if (layer.bias) params.push({ name: 'bias', shape: [layer.cout], init: uniform(1 / Math.sqrt(fan)) });
      groups = [params.map((_, i) => i)];
      flops = 2 * fan * layer.cout * out[0]! * out[1]!;
      break;
    }
    case 'dcn': {
      expectRank(3);
      expectC(layer.cin);
      const [h, w] = inShape as [number, number, number];
      out = [h, w, layer.cout];
      const fan = layer.cin * 9;
      // PyTorch registration order: sampling conv (no bias), then the offset conv p_conv.
      params = [
        { name: 'weight', shape: [3, 3, layer.cin, layer.cout], init: uniform(1 / Math.sqrt(fan)) },
        { name: 'offset.weight', shape: [3, 3, layer.cin, 18], init: { type: 'zeros' } },
        { name: 'offset.bias', shape: [18], init: uniform(1 / Math.sqrt(fan)) },
      ];
      groups = [[0], [1, 2]];
      // sampling conv + offset conv + bilinear interpolation (4 multiply-adds per sampled value).
      flops = 2 * fan * layer.cout * h * w + 2 * fan * 18 * h * w + 2 * 4 * 9 * layer.cin * h * w;
      break;
    }
    case 'conv1d': {
      expectRank(2);
      expectC(layer.cin);
      const l = outLen(inShape[0]!, layer.k, layer.s, layer.p);
      out = [l, layer.cout];
      const fan = layer.cin * layer.k;
      params = [
        { name: 'weight', shape: [layer.k, layer.cin, layer.cout], init: uniform(1 / Math.sqrt(fan)) },
        { name: 'bias', shape: [layer.cout], init: uniform(1 / Math.sqrt(fan)) },
      ];
      groups = [[0, 1]];
      flops = 2 * fan * layer.cout * l;
      break;
    }
    case 'convT1d': {
      expectRank(2);
      expectC(layer.cin);
      if (layer.op >= layer.s) fail(name, inShape, `output_padding ${layer.op} < stride ${layer.s}`);
      const l = (inShape[0]! - 1) * layer.s - 2 * layer.p + layer.k + layer.op;
      out = [l, layer.cout];
      // PyTorch: fan_in of a transposed conv weight [Cin, Cout, k] is Cout·k.
      const fan = layer.cout * layer.k;
      params = [
        { name: 'weight', shape: [layer.cin, layer.k, layer.cout], init: uniform(1 / Math.sqrt(fan)) },
        { name: 'bias', shape: [layer.cout], init: uniform(1 / Math.sqrt(fan)) },
      ];
      groups = [[0, 1]];
      flops = 2 * layer.cin * layer.cout * layer.k * inShape[0]!;
      break;
    }
    case 'convT2d': {
      expectRank(3);
      expectC(layer.cin);
      const [h, w] = inShape as [number, number, number];
      const oh = (h - 1) * layer.s[0] - 2 * layer.p[0] + layer.k[0] + layer.op[0];
      const ow = (w - 1) * layer.s[1] - 2 * layer.p[1] + layer.k[1] + layer.op[1];
      out = [oh, ow, layer.cout];
      const fan = layer.cout * layer.k[0] * layer.k[1];
      params = [
        { name: 'weight', shape: [layer.k[0], layer.k[1], layer.cout, layer.cin], init: uniform(1 / Math.sqrt(fan)) },
        { name: 'bias', shape: [layer.cout], init: uniform(1 / Math.sqrt(fan)) },
      ];
      groups = [[0, 1]];
      flops = 2 * layer.cin * layer.cout * layer.k[0] * layer.k[1] * h * w;
      break;
    }
    case 'bn': {
      expectC(layer.c);
      out = [...inShape];
      params = [
        { name: 'weight', shape: [layer.c], init: { type: 'ones' } },
        { name: 'bias', shape: [layer.c], init: { type: 'zeros' } },
      ];
      groups = [[0, 1]];
      buffers = 2 * layer.c + 1;
      break;
    }
    case 'linear': {
      expectRank(1);
      expectC(layer.fin);
      out = [layer.fout];
      params = [
        { name: 'weight', shape: [layer.fin, layer.fout], init: uniform(1 / Math.sqrt(layer.fin)) },
        { name: 'bias', shape: [layer.fout], init: uniform(1 / Math.sqrt(layer.fin)) },
      ];
      groups = [[0, 1]];
      flops = 2 * layer.fin * layer.fout;
      break;
    }
    case 'relu':
    case 'tanh':
    case 'dropout':
      out = [...inShape];
      break;
    case 'flatten':
      out = [prod(inShape)];
      break;
    case 'squeezeH':
      expectRank(3);
      if (inShape[0] !== 1) fail(name, inShape, 'height 1 before the squeeze');
      out = inShape.slice(1);
      break;
    case 'squeezeC':
      expectRank(2);
      expectC(1);
      out = [inShape[0]!];
      break;
    case 'ode':
      expectRank(1);
      expectC(15);
      out = [OUTPUT_LENGTHS.ECG_shape];
      break;
    case 'fuseStack':
      expectRank(1);
      out = [4, inShape[0]!, 1];
      break;
    case 'heightToChannels':
      expectRank(3);
      expectC(1);
      out = [inShape[1]!, inShape[0]!];
      break;
    case 'positionBias':
      expectRank(1);
      out = [...inShape];
      params = [{ name: 'bias', shape: [inShape[0]!], init: { type: 'zeros' } }];
      flops = inShape[0]!;
      break;
  }
  if (out.some((d) => !(d >= 1) || !Number.isInteger(d))) {
    fail(name, inShape, `an input large enough for a positive output (got [${out.join(', ')}]): use more frames / bins`);
  }
  return { type: 'leaf', name, layer, inShape, outShape: out, params, groups, bufferCount: buffers, flops };
}

/** Appends layers with running shape inference. */
class SeqBuilder {
  readonly children: ModuleSpec[] = [];
  shape: Shape;
  constructor(
    readonly name: string,
    readonly inShape: Shape,
  ) {
    this.shape = inShape;
  }
  add(name: string, layer: LayerKind): this {
    const leaf = makeLeaf(`${this.name}.${name}`, layer, this.shape);
    this.children.push(leaf);
    this.shape = leaf.outShape;
    return this;
  }
  sub(name: string, build: (s: SeqBuilder) => void): this {
    const s = new SeqBuilder(`${this.name}.${name}`, this.shape);
    build(s);
    this.children.push(s.done());
    this.shape = s.shape;
    return this;
  }
  residual(name: string, build: (s: SeqBuilder) => void): this {
    const s = new SeqBuilder(`${this.name}.${name}`, this.shape);
    build(s);
    const body = s.done();
    if (body.outShape.join() !== this.shape.join()) fail(body.name, this.shape, `a residual body that keeps the shape (got [${body.outShape.join(', ')}])`);
    this.children.push({ type: 'residual', name: body.name, body, inShape: this.shape, outShape: this.shape });
    return this;
  }
  done(): SeqSpec {
    return { type: 'seq', name: this.name, children: this.children, inShape: this.inShape, outShape: this.shape };
  }
}

function checkArch(a: RadarOdeArch): void {
  for (const k of ['channels', 'bins', 'frames'] as const) {
    if (!Number.isInteger(a[k]) || a[k] < 1) throw new ConfigError(k, a[k], 'a positive integer');
  }
  if (!(a.width > 0 && a.width <= 4)) throw new ConfigError('width', a.width, 'a channel multiplier in (0, 4]');
  if (a.minChannels !== undefined && !(Number.isInteger(a.minChannels) && a.minChannels >= 1)) throw new ConfigError('minChannels', a.minChannels, 'a positive integer');
}

/**
 * The last layer of a head that must produce exactly `target` samples from length `l`: the
 * reference's Conv1d(cin → 1) with kernel l − target + 1 (2 at full scale), or, when l < target,
 * a ConvTranspose1d upsampling cropped to target (see the header).
 */
function lastLayer(l: number, cin: number, target: number): LayerKind {
  if (l >= target) return { kind: 'conv1d', cin, cout: 1, k: l - target + 1, s: 1, p: 0 };
  const s = Math.ceil(target / l);
  const e = l * s - target;
  const p = Math.ceil(e / 2);
  return { kind: 'convT1d', cin, cout: 1, k: s, s, p, op: 2 * p - e };
}

/** The full spec for an architecture. Throws ConfigError where the input is too small. */
export function buildRadarOdeSpec(arch: RadarOdeArch): RadarOdeSpec {
  checkArch(arch);
  const floor = arch.minChannels ?? 1;
  const ch = (c: number): number => Math.max(1, Math.min(c, floor), Math.round(c * arch.width));
  const input: Shape = [arch.bins, arch.frames, arch.channels];

  // ---- shared encoder: DCNResNet backbone (4 stages) + squeeze module (§1.2) ----
  const enc = new SeqBuilder('encoder', input);
  const widths = [arch.channels, ch(128), ch(256), ch(512)];
  const expand = [ch(128), ch(256), ch(512), ch(1024)];
  const downK: [number, number][] = [
    [3, 2],
    [3, 2],
    [3, 3],
    [3, 3],
  ];
  const downS: [number, number][] = [
    [2, 2],
    [2, 2],
    [2, 1],
    [2, 1],
  ];
  for (let i = 0; i < 4; i++) {
    const c = widths[i]!;
    const e = expand[i]!;
    enc.sub(`stage${i}`, (s) => {
      s.residual('block', (b) => b.add('dcn', { kind: 'dcn', cin: c, cout: c }).add('bn', { kind: 'bn', c }).add('relu', { kind: 'relu' }));
      s.add('conv', { kind: 'conv2d', cin: c, cout: e, k: [2, 1], s: [1, 1], p: [1, 0], bias: true });
    });
    enc.sub(`downsample${i}`, (s) => {
      s.add('conv', { kind: 'conv2d', cin: e, cout: e, k: downK[i]!, s: downS[i]!, p: [1, 1], bias: true });
      s.add('bn', { kind: 'bn', c: e });
      s.add('relu', { kind: 'relu' });
    });
  }
  const c4 = ch(1024);
  enc.sub('squeeze', (s) => {
    s.add('conv', { kind: 'conv2d', cin: c4, cout: c4, k: [s.shape[0]!, 1], s: [1, 1], p: [0, 0], bias: true });
    s.add('squeeze', { kind: 'squeezeH' });
  });
  const encoder = enc.done();
  const rep = encoder.outShape;

  // ---- ECG_shape head (§1.4): 3 ConvT1d blocks, 4 Conv1d blocks, out convs [, ODE branch] ----
  const shape = new SeqBuilder('heads.ECG_shape', rep);
  const convBlock = (s: SeqBuilder, name: string, layer: LayerKind, c: number): void => {
    s.sub(name, (b) => b.add('conv', layer).add('bn', { kind: 'bn', c }).add('relu', { kind: 'relu' }));
  };
  shape.sub('enc', (s) => {
    const cs = [c4, ch(512), ch(256), ch(128)];
    for (let i = 0; i < 3; i++) convBlock(s, `${i}`, { kind: 'convT1d', cin: cs[i]!, cout: cs[i + 1]!, k: 5, s: 3, p: 0, op: 0 }, cs[i + 1]!);
  });
  shape.sub('conv', (s) => {
    const cs = [ch(128), ch(64), ch(32), ch(16), ch(8)];
    const ks = [7, 7, 7, 5];
    const ss = [2, 2, 1, 1];
    for (let i = 0; i < 4; i++) convBlock(s, `${i}`, { kind: 'conv1d', cin: cs[i]!, cout: cs[i + 1]!, k: ks[i]!, s: ss[i]!, p: 1 }, cs[i + 1]!);
  });
  const featLen = shape.shape[0]!;
  const featC = shape.shape[1]!;
  shape.sub('out_conv', (s) => {
    s.add('0', { kind: 'conv1d', cin: ch(8), cout: ch(4), k: 7, s: 1, p: 1 });
    s.add('1', { kind: 'conv1d', cin: ch(4), cout: ch(2), k: 5, s: 1, p: 1 });
    s.add('2', lastLayer(s.shape[0]!, ch(2), OUTPUT_LENGTHS.ECG_shape));
    s.add('squeeze', { kind: 'squeezeC' });
    if (arch.outputBias) s.add('template', { kind: 'positionBias' });
  });
  if (arch.ode) {
    // Parameter estimator on the conv features (8×207 = 1656 at full scale), ODE, fusion (§1.4, §7).
    const est = new SeqBuilder('heads.ECG_shape.param_estimator', [featLen, featC]);
    est.add('flatten', { kind: 'flatten' });
    const hidden = [ch(1024), ch(512), ch(256), ch(128), ch(64), ch(32), ch(16)];
    let fin = featLen * featC;
    hidden.forEach((h, i) => {
      est.add(`${i}.linear`, { kind: 'linear', fin, fout: h });
      if (i < 4) est.add(`${i}.dropout`, { kind: 'dropout', rate: 0.5 });
      est.add(`${i}.bn`, { kind: 'bn', c: h }).add(`${i}.tanh`, { kind: 'tanh' });
      fin = h;
    });
    est.add('out.linear', { kind: 'linear', fin, fout: 15 }).add('out.tanh', { kind: 'tanh' });
    est.add('ode', { kind: 'ode' });
    shape.children.push(est.done());

    const fuse = new SeqBuilder('heads.ECG_shape.fusion', [OUTPUT_LENGTHS.ECG_shape]);
    fuse.add('stack', { kind: 'fuseStack' });
    const f = [ch(16), ch(32), ch(64), ch(64)];
    fuse.sub('fusion_encoder', (s) => {
      const ks: [number, number][] = [
        [5, 5],
        [3, 3],
        [3, 3],
        [1, 1],
      ];
      const ss: [number, number][] = [
        [2, 2],
        [1, 2],
        [1, 2],
        [2, 1],
      ];
      const ps: [number, number][] = [
        [1, 1],
        [1, 1],
        [1, 1],
        [0, 0],
      ];
      const cin = [1, f[0]!, f[1]!, f[2]!];
      for (let i = 0; i < 4; i++) {
        s.sub(`${i}`, (b) =>
          b.add('conv', { kind: 'conv2d', cin: cin[i]!, cout: f[i]!, k: ks[i]!, s: ss[i]!, p: ps[i]!, bias: true }).add('bn', { kind: 'bn', c: f[i]! }).add('relu', { kind: 'relu' }),
        );
      }
    });
    fuse.sub('fusion_decoder', (s) => {
      const cs = [f[3]!, ch(32), ch(16), ch(8), ch(4), 1];
      const ks: [number, number][] = [
        [5, 5],
        [5, 5],
        [3, 3],
        [3, 3],
        [1, 1],
      ];
      const ss: [number, number][] = [
        [2, 2],
        [2, 2],
        [1, 2],
        [1, 1],
        [1, 1],
      ];
      const ops: [number, number][] = [
        [1, 1],
        [1, 1],
        [0, 0],
        [0, 0],
        [0, 0],
      ];
      for (let i = 0; i < 5; i++) {
        s.sub(`${i}`, (b) =>
          b
            .add('conv', { kind: 'convT2d', cin: cs[i]!, cout: cs[i + 1]!, k: ks[i]!, s: ss[i]!, p: [1, 1], op: ops[i]! })
            .add('bn', { kind: 'bn', c: cs[i + 1]! })
            .add('relu', { kind: 'relu' }),
        );
      }
    });
    fuse.add('to_channels', { kind: 'heightToChannels' });
    fuse.sub('out_conv_final', (s) => {
      const c0 = s.shape[1]!;
      s.add('0', { kind: 'conv1d', cin: c0, cout: ch(4), k: 7, s: 1, p: 1 });
      s.add('1', { kind: 'conv1d', cin: ch(4), cout: ch(2), k: 5, s: 1, p: 1 });
      s.add('2', { kind: 'conv1d', cin: ch(2), cout: 1, k: s.shape[0]! - OUTPUT_LENGTHS.ECG_shape + 1, s: 1, p: 0 });
      s.add('3', { kind: 'conv1d', cin: 1, cout: 1, k: 1, s: 1, p: 0 });
      s.add('squeeze', { kind: 'squeezeC' });
    });
    shape.children.push(fuse.done());
  }

  // ---- PPI head (§1.5) ----
  const ppi = new SeqBuilder('heads.PPI', rep);
  ppi.sub('conv', (s) => {
    const cs = [c4, ch(256), ch(128), ch(32), ch(16)];
    const ks = [7, 7, 7, 6];
    for (let i = 0; i < 4; i++) convBlock(s, `${i}`, { kind: 'conv1d', cin: cs[i]!, cout: cs[i + 1]!, k: ks[i]!, s: 1, p: 1 }, cs[i + 1]!);
  });
  ppi.sub('transconv', (s) => {
    const cs = [ch(16), ch(16), ch(32), ch(32)];
    const ss = [2, 2, 1];
    const ops = [1, 1, 0];
    for (let i = 0; i < 3; i++) convBlock(s, `${i}`, { kind: 'convT1d', cin: cs[i]!, cout: cs[i + 1]!, k: 5, s: ss[i]!, p: 2, op: ops[i]! }, cs[i + 1]!);
  });
  ppi.sub('prediction', (s) => {
    s.add('flatten', { kind: 'flatten' });
    s.add('0', { kind: 'linear', fin: s.shape[0]!, fout: ch(1024) }).add('1', { kind: 'bn', c: ch(1024) }).add('2', { kind: 'relu' });
    s.add('3', { kind: 'linear', fin: ch(1024), fout: ch(512) }).add('4', { kind: 'bn', c: ch(512) }).add('5', { kind: 'relu' });
    s.add('6', { kind: 'linear', fin: ch(512), fout: OUTPUT_LENGTHS.PPI });
  });

  // ---- Anchor head (§1.6) ----
  const anchor = new SeqBuilder('heads.Anchor', rep);
  anchor.sub('encoder', (s) => {
    const cs = [c4, ch(512), ch(256), ch(128), ch(128)];
    const ss = [3, 3, 3, 2];
    for (let i = 0; i < 4; i++) convBlock(s, `${i}`, { kind: 'convT1d', cin: cs[i]!, cout: cs[i + 1]!, k: 5, s: ss[i]!, p: 2, op: 0 }, cs[i + 1]!);
  });
  anchor.sub('conv', (s) => {
    const cs = [ch(128), ch(64), ch(32), ch(16)];
    const ss = [2, 1, 1];
    for (let i = 0; i < 3; i++) convBlock(s, `${i}`, { kind: 'conv1d', cin: cs[i]!, cout: cs[i + 1]!, k: 5, s: ss[i]!, p: 2 }, cs[i + 1]!);
  });
  anchor.sub('out_conv', (s) => {
    s.add('0', { kind: 'conv1d', cin: ch(16), cout: ch(8), k: 5, s: 1, p: 1 });
    s.add('1', { kind: 'conv1d', cin: ch(8), cout: ch(4), k: 5, s: 1, p: 0 });
    s.add('2', { kind: 'conv1d', cin: ch(4), cout: ch(2), k: 5, s: 1, p: 0 });
    s.add('3', lastLayer(s.shape[0]!, ch(2), OUTPUT_LENGTHS.Anchor));
    s.add('squeeze', { kind: 'squeezeC' });
  });

  return {
    arch,
    inputShape: input,
    encoder,
    heads: { ECG_shape: shape.done(), PPI: ppi.done(), Anchor: anchor.done() },
  };
}

/** All leaves of a module in order. */
export function leaves(m: ModuleSpec): LeafSpec[] {
  if (m.type === 'leaf') return [m];
  if (m.type === 'residual') return leaves(m.body);
  return m.children.flatMap(leaves);
}

export interface ModuleCounts {
  readonly params: number;
  /** Buffer values as PyTorch counts them (BN running mean/var + num_batches_tracked). */
  readonly buffers: number;
  /** Forward FLOPs per sample. */
  readonly flops: number;
}

export function countModule(m: ModuleSpec): ModuleCounts {
  let params = 0;
  let buffers = 0;
  let flops = 0;
  for (const l of leaves(m)) {
    params += l.params.reduce((a, p) => a + prod(p.shape), 0);
    buffers += l.bufferCount;
    flops += l.flops;
  }
  return { params, buffers, flops };
}

export interface SpecCounts {
  readonly encoder: ModuleCounts;
  readonly heads: Readonly<Record<RadarEcgTask, ModuleCounts>>;
  readonly total: ModuleCounts;
}

export function countSpec(spec: RadarOdeSpec): SpecCounts {
  const encoder = countModule(spec.encoder);
  const heads = {
    ECG_shape: countModule(spec.heads.ECG_shape),
    PPI: countModule(spec.heads.PPI),
    Anchor: countModule(spec.heads.Anchor),
  };
  const all = [encoder, heads.ECG_shape, heads.PPI, heads.Anchor];
  const sum = (k: keyof ModuleCounts): number => all.reduce((a, c) => a + c[k], 0);
  return { encoder, heads, total: { params: sum('params'), buffers: sum('buffers'), flops: sum('flops') } };
}

/** A short description of a layer, e.g. "Conv2d 50→128 k(2,1) s(1,1) p(1,0)". */
export function opLabel(layer: LayerKind): string {
  const pair = (v: readonly [number, number]): string => `(${v[0]},${v[1]})`;
  switch (layer.kind) {
    case 'conv2d':
      return `Conv2d ${layer.cin}→${layer.cout} k${pair(layer.k)} s${pair(layer.s)} p${pair(layer.p)}${layer.bias ? '' : ' no bias'}`;
    case 'dcn':
      return `DeformConv2d ${layer.cin}→${layer.cout} k3 s1 p1 (+offset conv ${layer.cin}→18)`;
    case 'conv1d':
      return `Conv1d ${layer.cin}→${layer.cout} k${layer.k} s${layer.s} p${layer.p}`;
    case 'convT1d':
      return `ConvTranspose1d ${layer.cin}→${layer.cout} k${layer.k} s${layer.s} p${layer.p}${layer.op ? ` op${layer.op}` : ''}`;
    case 'convT2d':
      return `ConvTranspose2d ${layer.cin}→${layer.cout} k${pair(layer.k)} s${pair(layer.s)} p${pair(layer.p)}${layer.op[0] || layer.op[1] ? ` op${pair(layer.op)}` : ''}`;
    case 'bn':
      return `BatchNorm ${layer.c}`;
    case 'linear':
      return `Linear ${layer.fin}→${layer.fout}`;
    case 'relu':
      return 'ReLU';
    case 'tanh':
      return 'Tanh';
    case 'dropout':
      return `Dropout ${layer.rate}`;
    case 'flatten':
      return 'Flatten (channel-major)';
    case 'squeezeH':
      return 'Squeeze H';
    case 'squeezeC':
      return 'Squeeze C';
    case 'ode':
      return 'ECG ODE (Euler, 199 steps)';
    case 'fuseStack':
      return 'x_t ⊙ ode, stack ×4';
    case 'heightToChannels':
      return 'Squeeze (H → channels)';
    case 'positionBias':
      return 'Bias per position';
  }
}

/** A channels-last per-sample shape in PyTorch's order: [H, W, C] → C×H×W, [L, C] → C×L, [F] → F. */
export function torchShape(s: Shape): string {
  if (s.length === 3) return `${s[2]}×${s[0]}×${s[1]}`;
  if (s.length === 2) return `${s[1]}×${s[0]}`;
  return s.join('×');
}

export interface LayerRow {
  readonly part: 'encoder' | RadarEcgTask;
  readonly name: string;
  readonly op: string;
  /** Per-sample output shape, channels-last as the model computes it. */
  readonly outShape: readonly number[];
  /** The same shape in PyTorch's order (C×H×W, C×L, F). */
  readonly torchShape: string;
  readonly params: number;
  /** Forward FLOPs per sample. */
  readonly flops: number;
}

/** The layer table of a spec (every leaf, encoder then heads). */
export function layerTable(spec: RadarOdeSpec): LayerRow[] {
  const parts: [LayerRow['part'], ModuleSpec][] = [['encoder', spec.encoder], ...RADAR_ECG_TASKS.map((t): [RadarEcgTask, ModuleSpec] => [t, spec.heads[t]])];
  return parts.flatMap(([part, m]) =>
    leaves(m).map((l) => ({
      part,
      name: l.name,
      op: opLabel(l.layer),
      outShape: l.outShape,
      torchShape: torchShape(l.outShape),
      params: l.params.reduce((a, p) => a + prod(p.shape), 0),
      flops: l.flops,
    })),
  );
}
