import t from 'tap';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { detectRPeaks, heartRateBpm, matchBeats, resampleCycle, segmentCycles } from '../../datasets/radar-ecg/rpeaks.js';
import { sampleSubject, synthesizeEcg } from '../../datasets/radar-ecg/ecgsyn.js';
import { writeNpy } from '../../datasets/npy.js';
import { rpeaksFromNpy } from '../../src/commands/data-rpeaks.js';
import { ConfigError, DataError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';

t.test('matchBeats: EC57 counts on hand-made sequences', async (t) => {
  const m = matchBeats([100, 200, 300, 400], [102, 190, 260, 305, 500], 100, 0.15);
  t.same([m.tp, m.fn, m.fp], [3, 1, 2]);
  t.equal(m.sensitivity, 0.75);
  t.equal(m.positivePredictivity, 0.6);
  t.ok(Math.abs(m.meanAbsErrorS - 17 / 3 / 100) < 1e-12);
  // One detection can match only one reference beat, the closer one.
  const one = matchBeats([100, 110], [108], 100);
  t.same([one.tp, one.fn, one.fp], [1, 1, 0]);
  // The window is inclusive: 15 samples at 100 Hz is exactly 150 ms.
  t.equal(matchBeats([100], [115], 100).tp, 1);
  t.equal(matchBeats([100], [116], 100).tp, 0);
  t.throws(() => matchBeats([1], [1], 100, 0), ConfigError);
});

t.test('heart rate, segmentation and resampling', async (t) => {
  t.equal(heartRateBpm([0, 200, 400], 200), 60);
  t.ok(Number.isNaN(heartRateBpm([5], 200)));
  const ecg = Float64Array.from({ length: 70 }, (_, i) => i);
  const rr = segmentCycles(ecg, [10, 30, 55], { mode: 'r-to-r' });
  t.same(rr.map((c) => [c.start, c.end, c.rPeak]), [[10, 30, 10], [30, 55, 30]]);
  t.same(Array.from(rr[1]!.samples.subarray(0, 2)), [30, 31]);
  // Reference mode: starts 0.35 × mean RR (22.5 → 8 samples) before each R peak.
  const ref = segmentCycles(ecg, [10, 30, 55]);
  t.same(ref.map((c) => [c.start, c.end]), [[2, 22], [22, 47]]);
  t.same(segmentCycles(ecg, [3, 30, 55]).map((c) => c.start), [21], 'a cycle starting before the record is dropped (shift 9)');
  t.same(Array.from(resampleCycle([0, 1, 2, 3], 7)), [0, 0.5, 1, 1.5, 2, 2.5, 3]);
  const quirk = Array.from(resampleCycle([0, 1, 2, 3], 7, 'reference'), (v) => Math.round(v * 1000) / 1000);
  t.same(quirk, [0, 0.667, 1.333, 2, 2.667, 3, 3], "one-past-end grid of radarODE's loader");
  t.equal(resampleCycle(new Float64Array(150), 200).length, 200);
});

t.test('detector at other sampling rates, inverted polarity, gaps and bad input', async (t) => {
  const rng = Rng.fromSeed('rpeaks');
  const subject = sampleSubject(rng, 'fs-test');
  for (const fs of [250, 360, 500]) {
    const e = synthesizeEcg(subject, 30, rng.fork(`fs${fs}`), fs);
    const det = detectRPeaks(e.ecg, fs);
    const m = matchBeats(e.rPeaks, det, fs);
    t.equal(m.fn + m.fp, 0, `fs ${fs}: every beat found, nothing extra`);
    t.ok(m.meanAbsErrorS < 0.004, `fs ${fs}: mean timing error ${(1000 * m.meanAbsErrorS).toFixed(2)} ms`);
  }
  const e = synthesizeEcg(subject, 30, rng.fork('inv'), 200);
  const up = detectRPeaks(e.ecg, 200);
  const down = detectRPeaks(e.ecg.map((v) => -v), 200);
  t.equal(down.length, up.length, 'inverted lead: same beat count');
  t.ok(down.every((p, i) => Math.abs(p - up[i]!) <= 1), 'inverted lead: peaks at the (negative) R wave');
  const gappy = e.ecg.slice();
  gappy.fill(NaN, 2000, 2100);
  const mg = matchBeats(e.rPeaks, detectRPeaks(gappy, 200), 200);
  t.ok(mg.fn <= 1 && mg.fp <= 1, 'a 0.5-s gap of NaN costs at most the beat inside it');
  t.equal(detectRPeaks(new Float64Array(100), 200).length, 0, 'shorter than 1 s: no peaks');
  t.equal(detectRPeaks(new Float64Array(2000), 200).length, 0, 'flat line: no peaks');
  t.throws(() => detectRPeaks(e.ecg, 20), ConfigError);
});

t.test('rpeaksFromNpy (the data rpeaks command)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rpeaks-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const rng = Rng.fromSeed(11);
  const e = synthesizeEcg(sampleSubject(rng, 'cli'), 20, rng);
  const f = join(dir, 'ecg.npy');
  writeNpy(f, Float32Array.from(e.ecg), [1, e.ecg.length]);
  const res = rpeaksFromNpy(f, 200);
  t.equal(res.fs, 200);
  t.equal(matchBeats(e.rPeaks, res.peaks, 200).tp, e.rPeaks.length);
  t.ok(res.heartRateBpm !== null && Math.abs(res.heartRateBpm - heartRateBpm(e.rPeaks, 200)) < 0.5);
  const bad = join(dir, 'two.npy');
  writeNpy(bad, new Float32Array(400), [2, 200]);
  t.throws(() => rpeaksFromNpy(bad, 200), { name: 'DataError', message: /two\.npy.*expected a 1-D ECG/ });
  t.throws(() => rpeaksFromNpy(join(dir, 'missing.npy'), 200), DataError);
});
