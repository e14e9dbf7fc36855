import t from 'tap';
import { SstPlan, sst, sstFrameCount, sstFrequencies, sstTimeMajor } from '../../datasets/radar-ecg/sst.js';

const fs = 200;

function ridge(r: { data: Float32Array; bins: number; frames: number }, frame: number): { bin: number; value: number; total: number } {
  let bin = 0;
  let value = -Infinity;
  let total = 0;
  for (let k = 0; k < r.bins; k++) {
    const v = r.data[k * r.frames + frame]!;
    total += v;
    if (v > value) {
      value = v;
      bin = k;
    }
  }
  return { bin, value, total };
}

/** Index of the bin whose centre is nearest (in log frequency) to f. */
function nearestBin(freqs: Float64Array, f: number): number {
  let best = 0;
  for (let k = 1; k < freqs.length; k++) if (Math.abs(Math.log(freqs[k]! / f)) < Math.abs(Math.log(freqs[best]! / f))) best = k;
  return best;
}

t.test('defaults: 71 ascending log-spaced bins over 1–25 Hz, 30 Hz frames', async (t) => {
  const f = sstFrequencies(1, 25, 71);
  t.equal(f.length, 71);
  t.equal(f[0], 1);
  t.ok(Math.abs(f[70]! - 25) < 1e-9);
  for (let k = 1; k < 71; k++) t.ok(Math.abs(f[k]! / f[k - 1]! - 25 ** (1 / 70)) < 1e-12);
  t.equal(sstFrameCount(35505, 200, 30), 5326, 'MMECG trial → 5,326 frames, like MATLAB resample');
  t.equal(sstFrameCount(800, 200, 30), 120, '4-s window → 120 frames');
  const r = sst(new Float64Array(800).map((_, i) => Math.sin(i / 7)), { fs });
  t.equal(r.frameRate, 30);
  t.equal(r.data.length, 71 * 120);
});

t.test('two tones: ridges within one bin of 3 Hz and 12 Hz with their amplitudes', async (t) => {
  const n = 10 * fs;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.cos((2 * Math.PI * 3 * i) / fs) + 0.5 * Math.cos((2 * Math.PI * 12 * i) / fs + 1);
  const r = sst(x, { fs });
  const k3 = nearestBin(r.frequencies, 3);
  const k12 = nearestBin(r.frequencies, 12);
  for (let j = 45; j < r.frames - 45; j += 15) {
    // Two strongest local maxima of the column.
    const col = Array.from({ length: r.bins }, (_, k) => r.data[k * r.frames + j]!);
    const peaks = col
      .map((v, k) => ({ v, k }))
      .filter(({ v, k }) => v >= (col[k - 1] ?? -1) && v >= (col[k + 1] ?? -1))
      .sort((a, b) => b.v - a.v)
      .slice(0, 2)
      .sort((a, b) => a.k - b.k);
    t.ok(Math.abs(peaks[0]!.k - k3) <= 1 && Math.abs(peaks[1]!.k - k12) <= 1, `frame ${j}: ridges at bins ${peaks.map((p) => p.k)} (expected ${k3}, ${k12})`);
    // Energy concentration: a cosine of amplitude A sums to ≈ A over its neighbouring bins.
    const near = (k: number): number => col.slice(k - 2, k + 3).reduce((a, b) => a + b, 0);
    t.ok(Math.abs(near(k3) - 1) < 0.05, `3 Hz amplitude ${near(k3).toFixed(3)} ≈ 1`);
    t.ok(Math.abs(near(k12) - 0.5) < 0.03, `12 Hz amplitude ${near(k12).toFixed(3)} ≈ 0.5`);
  }
});

t.test('linear chirp 2 → 20 Hz: ridge within one bin of the true instantaneous frequency', async (t) => {
  const dur = 20;
  const n = dur * fs;
  const rate = (20 - 2) / dur; // Hz/s
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = i / fs;
    x[i] = Math.cos(2 * Math.PI * (2 * s + 0.5 * rate * s * s));
  }
  const r = sst(x, { fs });
  let worst = 0;
  for (let j = 45; j < r.frames - 45; j += 5) {
    const fTrue = 2 + (rate * j) / r.frameRate;
    const { bin } = ridge(r, j);
    worst = Math.max(worst, Math.abs(bin - nearestBin(r.frequencies, fTrue)));
  }
  t.ok(worst <= 1, `largest ridge error ${worst} bin(s)`);
});

t.test('time alignment: a 12 Hz Gaussian burst at 5.0 s peaks at frame 150 ± 1', async (t) => {
  const n = 10 * fs;
  const x = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = i / fs - 5;
    x[i] = Math.cos(2 * Math.PI * 12 * d) * Math.exp(-(d * d) / 0.04 ** 2);
  }
  const r = sst(x, { fs });
  let best = 0;
  let bestV = -1;
  for (let j = 0; j < r.frames; j++) {
    const v = ridge(r, j).total;
    if (v > bestV) {
      bestV = v;
      best = j;
    }
  }
  t.ok(Math.abs(best - 150) <= 1, `peak frame ${best}`);
});

t.test('configurable bins, band and frame rate; time-major multichannel layout', async (t) => {
  const n = 4 * fs;
  const sig = new Float32Array(2 * n);
  for (let i = 0; i < n; i++) {
    sig[i] = Math.cos((2 * Math.PI * 5 * i) / fs);
    sig[n + i] = Math.cos((2 * Math.PI * 9 * i) / fs);
  }
  const opts = { fs, bins: 32, fmin: 2, fmax: 20, frameRate: 16 };
  const tm = sstTimeMajor(sig, 2, opts);
  t.equal(tm.frames, 64);
  t.equal(tm.frequencies.length, 32);
  const plan = new SstPlan(n, opts);
  const one = plan.transform(sig.subarray(n));
  for (const [k, j] of [
    [3, 10],
    [20, 33],
    [31, 63],
  ] as const) {
    t.equal(tm.data[(j * 2 + 1) * 32 + k], one[k * 64 + j], `channel 1, bin ${k}, frame ${j}`);
  }
  const peak = ridge({ data: one, bins: 32, frames: 64 }, 32).bin;
  t.ok(Math.abs(peak - nearestBin(tm.frequencies, 9)) <= 1);
  t.throws(() => sst(new Float64Array(100), { fs, fmax: 150 }), /fmax/);
});

t.test('speed: one 3-min channel (measured, reported)', async (t) => {
  const n = 35505;
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = Math.sin(i * 0.37) + 0.3 * Math.sin(i * 0.011);
  const plan = new SstPlan(n, { fs });
  plan.transform(x);
  const t0 = performance.now();
  plan.transform(x);
  const ms = performance.now() - t0;
  t.comment(`SST of a 35,505-sample channel: ${ms.toFixed(0)} ms (${(ms / 2.96).toFixed(0)} ms per channel-minute)`);
  t.ok(ms < 5000, 'well under a second on an idle core; generous bound for shared CI');
});
