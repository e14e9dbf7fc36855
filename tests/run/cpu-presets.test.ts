/**
 * The CPU benchmark presets expand to the grid the README promises: the paper's twelve methods
 * (EGA at five temperatures) and the single-task baselines on the `cpu` radar-ECG model, three
 * seeds, warm-ups that leave most of the run after them, the noise conditions of each table.
 */
import t from 'tap';
import { expandGrid, validateConfig } from '../../src/run/config.js';
import { presetConfigs } from '../../src/run/presets.js';
import { RADAR_ECG_PRESETS } from '../../src/tasks/radar-ecg/presets.js';
import { buildRadarOdeSpec, leaves } from '../../src/tasks/radar-ecg/spec.js';
import { radarEcgTask } from '../../src/tasks/radar-ecg/task.js';

const PAPER = ['EW', 'UW', 'GLS', 'DWA', 'STCH', 'GradDrop', 'GradVac', 'CAGrad', 'IMTL', 'MoCo', 'Aligned-MTL', 'EGA'];

function grid(name: string) {
  const cfgs = presetConfigs(name);
  t.equal(cfgs.length, 1, `${name}: one experiment`);
  return expandGrid(validateConfig(cfgs[0], `preset ${name}`));
}

t.test('table2-cpu: 12 methods (EGA × 5 T) + 3 single-task baselines × 3 seeds on the cpu model', async (t) => {
  const all = grid('table2-cpu');
  t.equal(all.filter((r) => r.method === 'trivial').length, 2 * 3, 'two trivial rows per seed');
  const runs = all.filter((r) => r.method !== 'trivial');
  const defaults = radarEcgTask.training('cpu');
  t.equal(runs.length, (11 + 5 + 3) * 3, '57 runs');
  t.same([...new Set(runs.map((r) => r.seed))].sort(), [0, 1, 2]);
  t.ok(runs.every((r) => r.preset === 'cpu' && r.task === 'radar-ecg' && r.epochs === defaults.epochs), `every run on the cpu model for ${defaults.epochs} epochs`);
  const labels = new Set(runs.map((r) => r.label));
  t.equal(labels.size, 19);
  for (const m of PAPER) t.ok([...labels].some((l) => l === m || l.startsWith(`${m}(`)), `${m} in the grid`);
  t.same([...labels].filter((l) => l.startsWith('EGA(')).map((l) => Number(/T=([\d.]+)/.exec(l)![1])).sort((a, b) => a - b), [0.1, 0.5, 1, 1.5, 2]);
  t.equal(runs.filter((r) => r.singleTask !== null).length, 9, 'three single-task baselines per seed');
  for (const r of runs.filter((x) => x.method === 'ega' || x.method === 'stch')) {
    const w = r.params.warmupEpoch as number;
    t.ok(Number.isInteger(w) && w >= 1 && w <= r.epochs / 4, `${r.label}: warm-up epoch ${w} within the first quarter of ${r.epochs}`);
  }
  t.equal(defaults.optimizer.kind, 'adam', 'Adam: under SGD at 5e-2 the anchor head stays at the constant output');
  // No one-channel BatchNorm + ReLU bottleneck in the scaled model, and the shape head can hold a template.
  const p = RADAR_ECG_PRESETS.cpu;
  const spec = buildRadarOdeSpec({ ...p, ode: false });
  const narrow = [spec.encoder, ...Object.values(spec.heads)].flatMap(leaves).filter((l) => l.layer.kind === 'bn' && l.layer.c < 4);
  t.same(narrow.map((l) => l.name), [], 'every BatchNorm has at least 4 channels');
  t.equal(leaves(spec.heads.ECG_shape).at(-1)!.layer.kind, 'positionBias', 'the shape head ends with a bias per position');
});

t.test('snr-cpu and abrupt-cpu: the same model and methods, no baselines, the tables\' noise conditions', async (t) => {
  const base = new Set(grid('table2-cpu').filter((r) => r.singleTask === null && r.method !== 'trivial').map((r) => `${r.label}|${r.seed}|${r.preset}|${r.epochs}`));
  for (const [name, n] of [
    ['snr-cpu', 7],
    ['abrupt-cpu', 7],
  ] as const) {
    const runs = grid(name).filter((r) => r.method !== 'trivial');
    t.equal(runs.length, 16 * 3, `${name}: 48 runs`);
    t.same(new Set(runs.map((r) => `${r.label}|${r.seed}|${r.preset}|${r.epochs}`)), base, `${name}: the table2-cpu methods, seeds and model`);
    t.ok(runs.every((r) => r.evalNoise.length === n && r.evalNoise[0]!.kind === 'clean'), `${name}: clean + 6 conditions`);
  }
});
