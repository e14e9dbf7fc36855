/**
 * `mtl-bench model radar-ecg [--preset NAME] [--ode] [--json]`: the layer table of a model
 * (name, op, output shape, parameters, forward FLOPs per sample) and the parameter / FLOP counts of
 * the encoder and each head. Computed from the model spec: nothing is allocated, so the full
 * `paper` model prints instantly.
 */
import type { CommandModule } from 'yargs';
import { RADAR_ECG_PRESET_NAMES, RADAR_ECG_PRESETS, type RadarEcgPresetName } from '../tasks/radar-ecg/presets.js';
import { buildRadarOdeSpec, countSpec, layerTable, RADAR_ECG_TASKS, torchShape } from '../tasks/radar-ecg/spec.js';

const MODELS = ['radar-ecg'] as const;

interface Args {
  model: (typeof MODELS)[number];
  preset: RadarEcgPresetName;
  ode: boolean;
  json: boolean;
}

const num = (n: number): string => n.toLocaleString('en-US');
const mflop = (f: number): string => (f / 1e6).toFixed(f < 1e7 ? 2 : 1);

export const modelCommand: CommandModule<object, Args> = {
  command: 'model <model>',
  describe: 'Show a model: layer table, parameter counts and FLOPs per sample',
  builder: (y) =>
    y
      .positional('model', { choices: MODELS, demandOption: true, describe: 'model to describe' })
      .option('preset', { choices: RADAR_ECG_PRESET_NAMES, default: 'paper' as RadarEcgPresetName, describe: 'model size' })
      .option('ode', { type: 'boolean', default: false, describe: 'include the ECG-shape head’s ODE branch' })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }) as never,
  handler: (args) => {
    const preset = RADAR_ECG_PRESETS[args.preset];
    const spec = buildRadarOdeSpec({ channels: preset.channels, bins: preset.bins, frames: preset.frames, width: preset.width, minChannels: 'minChannels' in preset ? preset.minChannels : undefined, outputBias: 'outputBias' in preset ? preset.outputBias : undefined, ode: args.ode });
    const counts = countSpec(spec);
    const rows = layerTable(spec);
    if (args.json) {
      console.log(JSON.stringify({ model: args.model, preset: args.preset, arch: spec.arch, inputShape: spec.inputShape, representation: spec.encoder.outShape, counts, layers: rows }, null, 2));
      return;
    }
    console.log(`radarODE-MTL, preset ${args.preset} (${preset.description}); ODE branch ${args.ode ? 'on' : 'off'}`);
    console.log(`input ${torchShape(spec.inputShape)} (C×H×W; the model takes [B, ${spec.inputShape.join(', ')}] channels-last), representation ${torchShape(spec.encoder.outShape)}`);
    console.log('');
    const head = ['layer', 'op', 'output', 'params', 'MFLOP'];
    const table = rows.map((r) => [r.name, r.op, r.torchShape, r.params ? num(r.params) : '', r.flops ? mflop(r.flops) : '']);
    const widths = head.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
    const right = [false, false, false, true, true];
    const line = (r: string[]): string =>
      r
        .map((c, i) => (right[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd();
    console.log(line(head));
    console.log(line(widths.map((w) => '-'.repeat(w))));
    for (const r of table) console.log(line(r));
    console.log('');
    const parts: [string, { params: number; buffers: number; flops: number }][] = [['encoder (shared)', counts.encoder], ...RADAR_ECG_TASKS.map((t): [string, (typeof counts.heads)[typeof t]] => [`head ${t}`, counts.heads[t]]), ['total', counts.total]];
    const sw = Math.max(...parts.map(([n]) => n.length));
    const pw = Math.max(...parts.map(([, c]) => num(c.params).length));
    for (const [n, c] of parts) console.log(`${n.padEnd(sw)}  ${num(c.params).padStart(pw)} params  ${num(c.buffers).padStart(6)} buffers (as PyTorch counts)  ${mflop(c.flops).padStart(9)} MFLOP/sample forward`);
    console.log('\nFLOPs: 2 per multiply-add of convolutions, linear layers and the DCN bilinear sampling; a training step costs about 3× the forward.');
  },
};
