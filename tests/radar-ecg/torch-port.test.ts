/**
 * The PyTorch port of benchmarks/torch/ is the same network as the TF.js model: equal parameter
 * counts, and on the same weights (exported from TF.js, offset convs perturbed so that the DCN
 * really samples off the grid) and the same batch, equal outputs and task losses to float32
 * tolerance, in training mode (batch statistics) at the ci preset (heads ending in a transposed
 * conv) and the cpu preset (heads ending in a Conv1d). Runs only where `/usr/bin/python3 -c
 * 'import torch'` works.
 */
import t, { type Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import { Rng } from '../../src/rng.js';
import { loadBackend } from '../../src/tf/backend.js';
import { registerExtraWasmKernels } from '../../src/tf/wasm-kernels-extra.js';
import { radarEcgTaskLoss } from '../../src/tasks/radar-ecg/losses.js';
import { createRadarOdeModel } from '../../src/tasks/radar-ecg/model.js';
import type { RadarEcgPresetName } from '../../src/tasks/radar-ecg/presets.js';
import { leaves, RADAR_ECG_TASKS } from '../../src/tasks/radar-ecg/spec.js';
import { syntheticBatch } from '../../benchmarks/lib/radar-ecg-batch.js';

const PYTHON = '/usr/bin/python3';
const DIR = new URL('../../benchmarks/torch/', import.meta.url).pathname;
const probe = spawnSync(PYTHON, ['-c', 'import torch'], { encoding: 'utf8' });
const skip = probe.status === 0 ? false : `PyTorch is not importable (${PYTHON} -c 'import torch': ${(probe.stderr || probe.error?.message || '').trim().split('\n').pop()})`;

const { tf, name: backend } = await loadBackend();
if (backend === 'wasm') registerExtraWasmKernels(tf);

const python = (args: string[]): string => {
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1' } });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
};

t.test('parameter counts of the PyTorch port equal the TF.js model’s at ci and cpu', { skip }, async (t) => {
  const counts = JSON.parse(python([join(DIR, 'radarode_mtl.py'), 'ci', 'cpu'])) as Record<string, number>;
  for (const preset of ['ci', 'cpu'] as const) {
    const model = createRadarOdeModel({ preset, seed: 0 }, tf);
    const mine = [...model.shared, ...model.heads.flat()].reduce((a, v) => a + v.size, 0);
    model.dispose();
    t.equal(counts[preset], mine, `${preset}: PyTorch ${counts[preset]}, TF.js ${mine}`);
  }
});

function exportAndCompare(t: Test, preset: RadarEcgPresetName, batch: number): void {
  const model = createRadarOdeModel({ preset, seed: 3 }, tf);
  const rng = Rng.fromSeed(`torch-port:${preset}`);
  // Non-zero offset convs: the DCN samples between pixels and at clamped borders.
  for (const leaf of leaves(model.spec.encoder).filter((l) => l.layer.kind === 'dcn')) {
    const w = model.layerParams(leaf.name)[1]!;
    w.assign(tf.tensor(Float32Array.from({ length: w.size }, () => (2 * rng.uniform() - 1) * 0.05), w.shape));
  }
  const { x, targets } = syntheticBatch(tf, preset, batch, rng);
  const chunks: Float32Array[] = [];
  let at = 0;
  const put = (a: Float32Array): number => {
    chunks.push(a);
    at += a.length;
    return at - a.length;
  };
  const params = [model.spec.encoder, ...RADAR_ECG_TASKS.map((k) => model.spec.heads[k])].flatMap(leaves).flatMap((leaf) =>
    leaf.params.map((p, i) => ({ name: `${leaf.name}.${p.name}`, kind: leaf.layer.kind, shape: p.shape, offset: put(model.layerParams(leaf.name)[i]!.dataSync() as Float32Array) })),
  );
  const manifest = {
    preset,
    batch,
    training: true,
    params,
    x: put(x.dataSync() as Float32Array),
    targets: { shape: put(targets[0]!.dataSync() as Float32Array), anchor: put(targets[2]!.dataSync() as Float32Array), ppi: Array.from(targets[1]!.dataSync()) },
  };
  const dir = mkdtempSync(join(tmpdir(), 'mtl-bench-torch-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
  const blob = new Float32Array(at);
  let o = 0;
  for (const c of chunks) {
    blob.set(c, o);
    o += c.length;
  }
  writeFileSync(join(dir, 'data.bin'), blob);
  python([join(DIR, 'forward.py'), dir]);
  const got = new Float32Array(readFileSync(join(dir, 'out.bin')).buffer.slice(0));

  const mine = tf.tidy(() => {
    const outs = model.forward(x, true).outputs;
    const losses = outs.map((out, k) => radarEcgTaskLoss(k, out, targets[k] as TF.Tensor));
    return [...outs.map((out) => out.dataSync() as Float32Array), Float32Array.from(losses.map((l) => l.dataSync()[0]!))];
  });
  model.discardBuffers();
  t.equal(got.length, mine.reduce((a, m) => a + m.length, 0), 'PyTorch wrote every output and loss');
  let off = 0;
  for (const [k, name] of [...RADAR_ECG_TASKS, 'losses'].entries()) {
    const want = mine[k]!;
    const scale = Math.max(1e-3, ...Array.from(want, Math.abs));
    let worst = 0;
    for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[off + i]! - want[i]!));
    off += want.length;
    t.ok(worst <= 2e-4 * scale, `${preset} ${name}: max |PyTorch − TF.js| = ${worst.toExponential(2)} ≤ 2e-4 × ${scale.toPrecision(3)}`);
  }
  tf.dispose([x, ...targets]);
  model.dispose();
}

t.test('PyTorch port and TF.js model agree on the same weights and batch (training-mode forward and losses)', { skip }, async (t) => {
  exportAndCompare(t, 'ci', 4);
  exportAndCompare(t, 'cpu', 3);
});
