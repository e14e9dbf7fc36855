/**
 * The widened anchor target (reader.ts `widenAnchor`): every R peak becomes a Gaussian of σ samples
 * with peak 1, the value at each sample is the Gaussian of its distance to the nearest peak (0 beyond
 * 4σ), σ = 0 keeps the 0/1 impulses, and a bad σ is a ConfigError naming the field.
 */
import t from 'tap';
import { widenAnchor } from '../../datasets/radar-ecg/reader.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';

const LEN = 800;

function randomTrains(rng: Rng, rows: number): { trains: Float32Array; peaks: number[][] } {
  const trains = new Float32Array(rows * LEN);
  const peaks: number[][] = [];
  for (let r = 0; r < rows; r++) {
    const p: number[] = [];
    // R-R intervals of 0.3-1.5 s at 200 Hz, with a random phase (a peak may sit at either edge).
    for (let q = rng.int(150) - 60; q < LEN; q += 60 + rng.int(240)) if (q >= 0) p.push(q);
    if (rng.uniform() < 0.1) p.push(0, LEN - 1);
    for (const q of p) trains[r * LEN + q] = 1;
    peaks.push([...new Set(p)].sort((a, b) => a - b));
  }
  return { trains, peaks };
}

t.test('σ = 0 keeps the impulses', async (t) => {
  const { trains } = randomTrains(Rng.fromSeed('anchor:0'), 8);
  const copy = trains.slice();
  t.equal(widenAnchor(trains, 8, LEN, 0), trains);
  t.same(trains, copy);
});

t.test('every sample is the Gaussian of its distance to the nearest R peak', async (t) => {
  const rng = Rng.fromSeed('anchor:widen');
  for (const sigma of [0.5, 1, 2.5, 6, 8, 13.7]) {
    const rows = 12;
    const { trains, peaks } = randomTrains(rng, rows);
    widenAnchor(trains, rows, LEN, sigma);
    let worst = 0;
    let zeroOutside = true;
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < LEN; i++) {
        const d = Math.min(...peaks[r]!.map((p) => Math.abs(p - i)));
        const want = d <= Math.ceil(4 * sigma) ? Math.exp(-(d * d) / (2 * sigma * sigma)) : 0;
        worst = Math.max(worst, Math.abs(trains[r * LEN + i]! - want));
        if (d > Math.ceil(4 * sigma) && trains[r * LEN + i] !== 0) zeroOutside = false;
      }
      for (const p of peaks[r]!) if (trains[r * LEN + p] !== 1) t.fail(`row ${r}: peak ${p} is ${trains[r * LEN + p]}`);
    }
    t.ok(worst < 1e-6, `σ ${sigma}: largest deviation ${worst}`);
    t.ok(zeroOutside, `σ ${sigma}: zero beyond 4σ of every peak`);
  }
});

t.test('the half-maximum width is 2.3548 σ', async (t) => {
  const row = new Float32Array(LEN);
  row[400] = 1;
  widenAnchor(row, 1, LEN, 10);
  const above = row.filter((v) => v >= 0.5).length;
  t.ok(Math.abs(above - 2 * Math.sqrt(2 * Math.log(2)) * 10) <= 1, `${above} samples at or above half maximum`);
});

t.test('a bad σ is rejected, naming the field', async (t) => {
  for (const bad of [-1, NaN, Infinity, -0.001]) {
    t.throws(() => widenAnchor(new Float32Array(LEN), 1, LEN, bad), ConfigError, `σ ${bad}`);
    try {
      widenAnchor(new Float32Array(LEN), 1, LEN, bad);
    } catch (e) {
      t.match((e as Error).message, /anchorSigma/);
    }
  }
});
