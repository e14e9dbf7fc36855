import t from 'tap';
import { Rng } from '../../src/rng.js';
import {
  abruptWindowSet,
  addAbruptNoise,
  addBodyMovement,
  addConstantNoise,
  bodyMovement,
  noiseLabel,
  PAPER_CONSTANT_SNRS_DB,
  parseNoiseCondition,
} from '../../datasets/radar-ecg/noise.js';
import type { RadarRecording } from '../../datasets/radar-ecg/radar.js';

const C = 4;
const F = 71;
const T = 120;

function window(seed: number): Float32Array {
  const rng = Rng.fromSeed(seed);
  const x = new Float32Array(C * F * T);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform() ** 2;
  return x;
}

const power = (a: ArrayLike<number>, from: number, to: number): number => {
  let s = 0;
  for (let i = from; i < to; i++) s += a[i]! ** 2;
  return s / (to - from);
};

t.test('constant noise has the requested SNR per channel (measured)', async (t) => {
  for (const snr of PAPER_CONSTANT_SNRS_DB) {
    const clean = window(1);
    const noisy = Float32Array.from(clean);
    addConstantNoise(noisy, C, F * T, snr, Rng.fromSeed(`snr${snr}`));
    for (let c = 0; c < C; c++) {
      const a = c * F * T;
      const diff = Float64Array.from({ length: F * T }, (_, i) => noisy[a + i]! - clean[a + i]!);
      const measured = 10 * Math.log10(power(clean, a, a + F * T) / power(diff, 0, F * T));
      t.ok(Math.abs(measured - snr) < 0.25, `channel ${c}: ${measured.toFixed(3)} dB for ${snr} dB`);
    }
  }
});

t.test('abrupt noise: one span of int(d · 30) frames, requested SNR inside, nothing outside', async (t) => {
  for (const [durationS, snr] of [
    [1, 0],
    [2, -9],
    [3, 0],
  ] as const) {
    const clean = window(2);
    const noisy = Float32Array.from(clean);
    const span = addAbruptNoise(noisy, C, F, T, durationS, snr, 30, Rng.fromSeed(`ab${durationS}`));
    t.equal(span.frames, durationS * 30);
    t.ok(span.startFrame >= 0 && span.startFrame + span.frames <= T);
    for (let c = 0; c < C; c++) {
      let sig = 0;
      let noise = 0;
      let outside = 0;
      for (let k = 0; k < F; k++) {
        for (let f = 0; f < T; f++) {
          const i = c * F * T + k * T + f;
          const d = noisy[i]! - clean[i]!;
          if (f >= span.startFrame && f < span.startFrame + span.frames) {
            sig += clean[i]! ** 2;
            noise += d * d;
          } else outside += Math.abs(d);
        }
      }
      t.equal(outside, 0, 'untouched outside the span');
      const measured = 10 * Math.log10(sig / noise);
      t.ok(Math.abs(measured - snr) < 0.3, `channel ${c}: ${measured.toFixed(2)} dB for ${snr} dB over ${durationS} s`);
    }
  }
  t.equal(addAbruptNoise(window(3), C, F, T, 10, 0, 30, Rng.fromSeed(1)).frames, 119, 'capped at frames − 1');
});

t.test('20 % of windows get abrupt noise, a fixed seeded subset', async (t) => {
  const a = abruptWindowSet(216, 0.2, Rng.fromSeed('s'));
  const b = abruptWindowSet(216, 0.2, Rng.fromSeed('s'));
  t.equal(a.size, 43);
  t.same([...a].sort(), [...b].sort());
  t.ok([...a].every((i) => i >= 0 && i < 216));
});

t.test('conditions: reference aug_snr codes and labels', async (t) => {
  t.same(parseNoiseCondition(100), { kind: 'clean' });
  t.same(parseNoiseCondition(-3), { kind: 'constant', snrDb: -3 });
  t.same(parseNoiseCondition('101'), { kind: 'abrupt', durationS: 1, snrDb: -9, fraction: 0.2 });
  t.same(parseNoiseCondition(113), { kind: 'abrupt', durationS: 3, snrDb: 0, fraction: 0.2 });
  t.same(parseNoiseCondition('abrupt:extensive:2'), { kind: 'abrupt', durationS: 2, snrDb: -9, fraction: 0.2 });
  t.equal(noiseLabel(parseNoiseCondition('abrupt:mild:3')), 'abrupt:mild:3');
  t.equal(noiseLabel(parseNoiseCondition('constant:6')), 'constant:6');
  t.same(parseNoiseCondition('body-movement:3:10'), { kind: 'body-movement', ratePerMin: 3, maxStepMm: 10 });
  t.throws(() => parseNoiseCondition('abrupt:huge:2'), /mild/);
  t.throws(() => parseNoiseCondition(150), /aug_snr/);
});

t.test('body movement: large, smooth, seeded displacement added through the radar phase', async (t) => {
  const fs = 200;
  const n = 120 * fs;
  const a = bodyMovement(n, fs, 3, 4, 15, Rng.fromSeed('bm'));
  const b = bodyMovement(n, fs, 3, 4, 15, Rng.fromSeed('bm'));
  t.same(a.displacementMm, b.displacementMm, 'deterministic');
  t.ok(a.events.length >= 2, `${a.events.length} events in 2 min at 4/min`);
  const net = a.events.reduce((s, e) => s + e.stepMm, 0);
  t.ok(Math.abs(a.displacementMm[n - 1]! - net) < 1e-9, 'ends at the sum of the steps');
  t.ok(a.events.every((e) => Math.abs(e.stepMm) >= 2 && Math.abs(e.stepMm) <= 15), 'mm-scale steps');
  let maxJump = 0;
  for (let i = 1; i < n; i++) maxJump = Math.max(maxJump, Math.abs(a.displacementMm[i]! - a.displacementMm[i - 1]!));
  t.ok(maxJump < 0.5, `smooth: largest step between samples ${maxJump.toFixed(3)} mm`);
  const rec: RadarRecording = { fs, channels: 3, samples: n, wavelengthMm: 3.9, phase: new Float32Array(3 * n), beats: [] };
  const moved = addBodyMovement(rec, a);
  const k = (4 * Math.PI) / 3.9;
  t.ok(Math.abs(moved.phase[2 * n + n - 1]! - k * a.channelGains[2]! * net) < 1e-3, 'phase = 4π g d / λ');
  t.equal(rec.phase[n - 1], 0, 'input untouched');
});
