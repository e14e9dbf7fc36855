import t from 'tap';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readNpy, writeNpy } from '../../datasets/npy.js';
import { runDataSst } from '../../src/commands/data-sst.js';
import { inspectDataset, runSynth } from '../../src/commands/data-radar-ecg.js';

const root = mkdtempSync(join(tmpdir(), 'mtl-data-cmd-'));
t.teardown(() => rmSync(root, { recursive: true, force: true }));

t.test('data sst: float32 [bins, frames] + json with ascending Hz; a 7 Hz tone lands at 7 Hz', async (t) => {
  const x = Float64Array.from({ length: 1200 }, (_, i) => Math.cos((2 * Math.PI * 7 * i) / 200));
  writeNpy(join(root, 'x.npy'), x, [1200]);
  const r = runDataSst({ in: join(root, 'x.npy'), fs: 200, out: join(root, 'y.npy'), fmin: 1, fmax: 25, bins: 40, 'frame-rate': 30 });
  const y = readNpy(r.npy);
  t.equal(y.dtype, '<f4');
  t.same(y.shape, [40, 180]);
  const meta = JSON.parse(readFileSync(r.json, 'utf8')) as { frequenciesHz: number[]; frameRate: number };
  t.equal(meta.frameRate, 30);
  t.ok(meta.frequenciesHz.every((f, i) => i === 0 || f > meta.frequenciesHz[i - 1]!), 'ascending');
  let best = 0;
  for (let k = 0; k < 40; k++) if (y.data[k * 180 + 90]! > y.data[best * 180 + 90]!) best = k;
  t.ok(Math.abs(Math.log(meta.frequenciesHz[best]! / 7)) < 0.05, `peak at ${meta.frequenciesHz[best]!.toFixed(2)} Hz`);
  writeNpy(join(root, 'bad.npy'), new Float64Array(20), [4, 5]);
  t.throws(() => runDataSst({ in: join(root, 'bad.npy'), fs: 200, out: join(root, 'z.npy'), fmin: 1, fmax: 25, bins: 40, 'frame-rate': 30 }), /1-D/);
});

t.test('data radar-ecg synth + inspect', async (t) => {
  const out = join(root, 'ds');
  const r = runSynth({
    subjects: 2, minutes: 0.5, seed: '4', out, 'trials-per-subject': 2, channels: 3, bins: 8, frames: 16, fmin: 1, fmax: 25,
    placements: 'step', noise: 'constant:3', 'keep-radar': false, overwrite: false, quiet: true,
  });
  t.equal(r.manifest.noise.appliedAt, 'reader');
  const text = inspectDataset(out, true);
  t.match(text, /synthetic \(seed 4\)/);
  t.match(text, /\(verified\)/);
  t.match(text, /input 3 × 8 × 16/);
  t.match(text, /splits \(step windows\):/);
  t.match(text, /class balance/);
  t.match(text, /noise constant:3/);
});
