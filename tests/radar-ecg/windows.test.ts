import t from 'tap';
import { Rng } from '../../src/rng.js';
import { sampleSubject, synthesizeEcg } from '../../datasets/radar-ecg/ecgsyn.js';
import { buildWindows, cutWindow, DEFAULT_WINDOW_SPEC, frameRateOf } from '../../datasets/radar-ecg/windows.js';

const spec = DEFAULT_WINDOW_SPEC;
const syn = synthesizeEcg({ ...sampleSubject(Rng.fromSeed('win'), 'w1'), meanHr: 75 }, 40, Rng.fromSeed('win-ecg'));
const n = syn.ecg.length;
const totalFrames = Math.ceil((n * 30) / 200);

t.test('step placement: 0.8-s starts, nearest-R cycle, labels agree with the R peaks', async (t) => {
  const w = buildWindows(syn.ecg, syn.rPeaks, totalFrames, 'step');
  t.equal(frameRateOf(spec), 30);
  t.equal(w.count, Math.floor((n - 800) / 160), 'reference count (N − 800) // 160');
  const peaks = Array.from(syn.rPeaks);
  const meanRr = (peaks[peaks.length - 1]! - peaks[0]!) / (peaks.length - 1);
  for (let i = 0; i < w.count; i++) {
    const start = w.start[i]!;
    t.equal(start, i * 160);
    t.equal(w.frameStart[i], Math.floor((start * 30) / 200));
    // The target cycle's R peak is the nearest to the window centre.
    const centre = start + 400;
    const r = w.cycleRPeak[i]!;
    const nearest = peaks.reduce((a, p) => (Math.abs(p - centre) < Math.abs(a - centre) ? p : a), peaks[0]!);
    t.ok(Math.abs(r - centre) <= Math.abs(nearest - centre), 'nearest R peak');
    // Cycle ↔ R peaks: the cycle is the RR interval starting at its R peak, shifted by 0.35 mean RR.
    const j = peaks.indexOf(r);
    t.equal(w.cycleLength[i], peaks[j + 1]! - r, 'cycle length = RR interval');
    t.equal(w.ppi[i], w.cycleLength[i]! - 1, 'PPI class = length − 1');
    t.equal(r - w.cycleStart[i]!, Math.round(0.35 * meanRr), 'R at 35 % of mean RR into the cycle');
    // Anchor train: ones exactly at the R peaks inside the window; count ≈ 800 / PPI.
    const anchor = w.anchor.subarray(i * 800, (i + 1) * 800);
    const ones = [...anchor.keys()].filter((q) => anchor[q] === 1).map((q) => q + start);
    t.same(ones, peaks.filter((p) => p >= start && p < start + 800));
    t.ok(Math.abs(ones.length - 800 / (w.ppi[i]! + 1)) <= 1.5, `${ones.length} anchors for cycles of ${w.ppi[i]! + 1} samples`);
    // Shape target: the raw cycle resampled; its maximum is the R wave at ~35 % of the cycle.
    const shape = w.ecgShape.subarray(i * 200, (i + 1) * 200);
    const argmax = shape.indexOf(Math.max(...shape));
    t.ok(Math.abs(argmax / 199 - (r - w.cycleStart[i]!) / w.cycleLength[i]!) < 0.03, 'R wave position in the shape');
    t.ok(Math.abs(w.ecgMax[i]! - syn.ecg[r]!) < 0.05, 'ECG max of the cycle = R amplitude (mV)');
    t.ok(w.ecgMin[i]! < w.ecgMax[i]!);
  }
});

t.test('R-peak-centred placement: R at sample 400, one window per cycle', async (t) => {
  const w = buildWindows(syn.ecg, syn.rPeaks, totalFrames, 'rpeak');
  const peaks = Array.from(syn.rPeaks);
  for (let i = 0; i < w.count; i++) {
    const start = w.start[i]!;
    if (w.cycleRPeak[i]! - 400 > 0) {
      t.equal(start, w.cycleRPeak[i]! - 400);
      t.equal(w.anchor[i * 800 + 400], 1, 'anchor at 400');
    } else {
      t.equal(start, 1, 'starts ≤ 0 become 1, as in the reference');
    }
    t.ok(start + 800 <= n);
  }
  const fitting = peaks.slice(0, -1).filter((p) => Math.max(1, p - 400) + 800 <= n && p - Math.round(0.35 * ((peaks[peaks.length - 1]! - peaks[0]!) / (peaks.length - 1))) >= 0);
  t.equal(w.count, fitting.length);
});

t.test('cycles longer than 260 samples are clamped to class 259 and flagged', async (t) => {
  const ecg = new Float64Array(4000);
  const r = [300, 480, 660, 1000, 1180, 1360, 1540, 1720, 1900, 2080, 2260, 2440, 2620, 2800, 2980, 3160, 3340];
  for (const p of r) ecg[p] = 1;
  const w = buildWindows(ecg, r, 600, 'rpeak');
  const i = [...w.cycleRPeak].indexOf(660);
  t.equal(w.cycleLength[i], 340);
  t.equal(w.ppi[i], 259);
  t.equal(w.clamped[i], 1);
  t.equal(w.clamped.reduce((a, b) => a + b, 0), 1);
});

t.test('cutWindow: channels × bins × frames, min-max normalised per channel', async (t) => {
  const C = 3;
  const F = 4;
  const T = 5;
  const total = 9;
  const tm = new Float32Array(total * C * F);
  for (let f = 0; f < total; f++) for (let c = 0; c < C; c++) for (let k = 0; k < F; k++) tm[(f * C + c) * F + k] = (c + 1) * (10 * f + k);
  const out = new Float32Array(C * F * T);
  cutWindow(tm, C, F, 2, T, out);
  for (let c = 0; c < C; c++) {
    const ch = out.subarray(c * F * T, (c + 1) * F * T);
    t.equal(Math.min(...ch), 0);
    t.equal(Math.max(...ch), 1);
    // Frame order and bin order kept: value at (k, t) ∝ 10 (2 + t) + k.
    const lo = 20;
    const hi = 10 * 6 + 3;
    t.ok(Math.abs(ch[1 * T + 2]! - (10 * 4 + 1 - lo) / (hi - lo)) < 1e-6);
  }
});
