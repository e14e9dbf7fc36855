import t from 'tap';
import { near } from '../helpers/near.js';
import {
  MIN_MATCHED_BEATS,
  aggregateTrials,
  anchorMetrics,
  assembleLongTermEcg,
  collectAnchorPeaks,
  combineClosePeaks,
  evaluateTrial,
  fillGaps,
  fillGapsReference,
  findPeaks,
  heartRateErrorBpm,
  linearResample,
  loggedPpiErrorSec,
  longTermMetrics,
  median,
  onePastEndResample,
  pearson,
  ppiErrorMs,
  shapeCycleMetrics,
  type RadarEcgTrial,
  type RadarEcgWindow,
  type Table2Metrics,
} from '../../src/tasks/radar-ecg/metrics.js';
import { ConfigError } from '../../src/errors.js';
import { TABLE2_DELTA_M, table2Row } from '../../src/tasks/radar-ecg/metric-spec.js';
import { deltaMFromSpec } from '../../src/metrics/deltam.js';


// ---------------------------------------------------------------------------------------------
// Small helpers, by hand

t.test('resampling grids by hand', async (t) => {
  // linspace(0, 3, 4) over [0, 10, 20, 30] → unchanged; to 7 points: steps of 0.5 samples.
  t.same(Array.from(linearResample([0, 10, 20, 30], 7)), [0, 5, 10, 15, 20, 25, 30]);
  t.same(Array.from(linearResample([0, 10, 20, 30], 2)), [0, 30]);
  // One-past-end: grid linspace(0, 4, 3) = [0, 2, 4] over arange(4); 4 is clamped to the last value.
  t.same(Array.from(onePastEndResample([0, 10, 20, 30], 3)), [0, 20, 30]);
  // linspace(0, 4, 5) = 0..4 → [0, 10, 20, 30, 30].
  t.same(Array.from(onePastEndResample([0, 10, 20, 30], 5)), [0, 10, 20, 30, 30]);
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  t.ok(Number.isNaN(median([1, NaN])), 'NaN propagates');
  t.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])), 'constant series: NaN correlation');
});

t.test('shape RMSE (mV) and PCC of one cycle by hand', async (t) => {
  // Truth alternates 0.5 / 1.0 mV (range 0.5); a prediction in phase scores 0 / 1, in anti-phase
  // every normalised sample differs by 1, so RMSE = 1 × 0.5 mV and PCC = −1.
  const truth = Array.from({ length: 200 }, (_, i) => (i % 2 ? 1 : 0.5));
  const inPhase = Array.from({ length: 200 }, (_, i) => (i % 2 ? 0.6 : 0.2));
  const antiPhase = Array.from({ length: 200 }, (_, i) => (i % 2 ? 0.2 : 0.6));
  const same = shapeCycleMetrics(inPhase, truth);
  t.ok(...near(same.rmseMv, 0, 1e-12, 'in-phase RMSE'));
  t.ok(...near(same.pcc, 1, 1e-12, 'in-phase PCC'));
  const anti = shapeCycleMetrics(antiPhase, truth);
  t.ok(...near(anti.rmseMv, 0.5, 1e-12, 'anti-phase RMSE'));
  t.ok(...near(anti.pcc, -1, 1e-12, 'anti-phase PCC'));

  // A raw 3-sample truth [0, 2, 4] mV is resampled to a 200-point ramp; a ramp prediction is exact.
  const ramp = Array.from({ length: 200 }, (_, k) => k / 199);
  const exact = shapeCycleMetrics(ramp, [0, 2, 4]);
  t.ok(...near(exact.rmseMv, 0, 1e-12, 'ramp RMSE'));
  t.ok(...near(exact.pcc, 1, 1e-12, 'ramp PCC'));
  // 'reference' re-interpolates the truth on the one-past-end grid k·3/199: truth_k = min(6k/199, 4),
  // normalised min(1.5k/199, 1) against k/199, scaled by the range 4 mV.
  let ss = 0;
  for (let k = 0; k < 200; k++) ss += (Math.min((1.5 * k) / 199, 1) - k / 199) ** 2;
  const ref = shapeCycleMetrics(ramp, [0, 2, 4], { definition: 'reference' });
  t.ok(...near(ref.rmseMv, 4 * Math.sqrt(ss / 200), 1e-12, 'reference RMSE'));
  t.throws(() => shapeCycleMetrics(ramp.slice(0, 150), truth), { name: 'ShapeError' });
  t.throws(() => shapeCycleMetrics(ramp, truth, { definition: 'paper' as never }), ConfigError);
});

t.test('PPI error (ms), heart-rate error (bpm) and the logged PPI metric by hand', async (t) => {
  // Classes [159, 161, 150] = lengths [160, 162, 151] against 160: errors 0, 2, −9 samples.
  t.ok(...near(ppiErrorMs([159, 161, 150], [160, 160, 160]), Math.sqrt(85 / 3) * 5, 1e-12, 'RMSE in ms'));
  t.equal(ppiErrorMs([159, 119], [160, 120]), 0);
  // Class 199 = 200 samples = 60 bpm against 160 samples = 75 bpm.
  t.ok(...near(heartRateErrorBpm([199], [160]), 15, 1e-12, 'HR error'));
  t.ok(...near(heartRateErrorBpm([199, 159, 159], [160, 160, 160]), 0, 1e-12, 'median HR error'));
  // Logged metric: |argmax − (L − 1)|/200; the reference compares with L + 1 (2-sample bias).
  t.ok(...near(loggedPpiErrorSec([159, 161, 150], [160, 160, 160]), 11 / 3 / 200, 1e-15, 'logged, correct'));
  t.ok(...near(loggedPpiErrorSec([159, 161, 150], [160, 160, 160], { definition: 'reference' }), 13 / 3 / 200, 1e-15, 'logged, reference'));
  t.ok(...near(loggedPpiErrorSec([161], [160], { definition: 'reference' }), 0, 1e-15, 'the reference scores a 2-sample-long prediction as perfect'));
  t.throws(() => ppiErrorMs([1, 2], [3]), { name: 'ShapeError' });
});

t.test('peak picking follows peakutils.indexes', async (t) => {
  const y = [0, 1, 0, 0.5, 0, 0.9, 0.9, 0, 0.2, 0.8, 0];
  // Above 0.75: the spike at 1, the flat top 5–6 (counted once, at 5), the spike at 9.
  t.same(findPeaks(y, { minDistance: 1 }), [1, 5, 9]);
  // Distance 4: the highest (1) removes 5 (|5 − 1| ≤ 4); 9 survives.
  t.same(findPeaks(y, { minDistance: 4 }), [1, 9]);
  t.same(findPeaks(y, { minDistance: 3 }), [1, 5, 9]);
  t.same(findPeaks(y, { threshold: 0.3, minDistance: 1 }), [1, 3, 5, 9]);
  t.same(findPeaks([0, 1, 1, 1, 0]), [2], 'odd flat top: its middle');
  t.same(findPeaks([0, 1, 1, 1, 1, 0]), [2], 'even flat top: left of middle');
  t.same(findPeaks([1, 0, 0.5, 0, 1], { threshold: 0.4 }), [2], 'end samples are never peaks');
  t.same(findPeaks([2, 2, 2, 2]), [], 'constant: none');
  t.same(findPeaks([0, 0, 1, 0, 0]), [2], 'flat run at the start takes the next slope');
});

t.test('merging close peaks; the reference drops the last run', async (t) => {
  const peaks = [100, 105, 110, 300, 310, 600, 610];
  t.same(combineClosePeaks(peaks, 30), [105, 305, 605]);
  t.same(combineClosePeaks(peaks, 30, { dropLastRun: true }), [105, 305]);
  t.same(combineClosePeaks([100, 129, 158], 30), [129], 'gaps < 30 chain into one run');
  t.same(combineClosePeaks([100, 130], 30), [100, 130], 'a gap of exactly 30 splits');
  t.same(combineClosePeaks([], 30), []);
  t.same(combineClosePeaks([7], 30, { dropLastRun: true }), []);
  t.throws(() => combineClosePeaks([5, 3]), ConfigError);
});

t.test('anchor timing error and MDR by hand, every definition', async (t) => {
  const rPeaks = [50, 100, 200, 300, 400, 500, 600];
  const preds = [104, 206, 302, 445, 506];
  const evalRange = [100, 500] as const;
  // In range: 100..500 (5 peaks; 7 in the recording). First pass: errors 4, 6, 2, (400: 45 → miss), 6;
  // offset = median(2, 4, 6, 6) = 5. After the offset: −1, 1, −3, (40 → miss), 1; Σ| | = 6.
  const correct = anchorMetrics(preds, rPeaks, { evalRange, minMatched: 1 });
  t.equal(correct.offsetSamples, 5);
  t.equal(correct.offsetMs, 25);
  t.same([correct.evaluated, correct.matched, correct.missed], [5, 4, 1]);
  t.ok(...near(correct.timingErrorMs, (6 / 4) * 5, 1e-12, 'correct: mean over matches'));
  t.ok(...near(correct.mdrPercent, 20, 1e-12, 'correct MDR'));
  const longTerm = anchorMetrics(preds, rPeaks, { evalRange, definition: 'reference-long-term' });
  t.ok(...near(longTerm.timingErrorMs, (6 / 5) * 5, 1e-12, 'reference long-term: over all evaluated'));
  t.ok(...near(longTerm.mdrPercent, 20, 1e-12, 'reference long-term MDR'));
  const single = anchorMetrics(preds, rPeaks, { evalRange, definition: 'reference-single-cycle' });
  t.ok(...near(single.timingErrorMs, (6 / (7 - 1 / 7)) * 5, 1e-12, 'reference single-cycle: len(R) − missed/len(R)'));
  t.ok(...near(single.mdrPercent, (100 * 1) / 7, 1e-12, 'reference single-cycle MDR over all R-peaks'));
  const raw = anchorMetrics(preds, rPeaks, { evalRange, removeOffset: false, minMatched: 1 });
  t.ok(...near(raw.timingErrorMs, (18 / 4) * 5, 1e-12, 'without the offset correction'));
  // The window is strict: an error of exactly 30 samples is a miss.
  t.equal(anchorMetrics([130], [100], { evalRange: [0, 1000] }).mdrPercent, 100);
  t.equal(anchorMetrics([129], [100], { evalRange: [0, 1000] }).mdrPercent, 0);
  const none = anchorMetrics([], [100, 200], { evalRange: [0, 1000] });
  t.equal(none.mdrPercent, 100);
  t.ok(Number.isNaN(none.timingErrorMs), 'correct: no match, no timing error');
  t.equal(anchorMetrics([], [100, 200], { evalRange: [0, 1000], definition: 'reference-long-term' }).timingErrorMs, 0, 'the reference reports 0');
  t.throws(() => anchorMetrics([], [], { definition: 'x' as never }), ConfigError);
});

t.test('the correct timing error is undefined below the stated number of matched beats', async (t) => {
  // One match: the offset correction alone makes its error 0, which must not read as a perfect 0 ms.
  const one = anchorMetrics([107], [100, 300, 500, 700], { evalRange: [0, 1000] });
  t.equal(one.matched, 1);
  t.ok(Number.isNaN(one.timingErrorMs), 'one matched beat: undefined, not 0 ms');
  t.equal(one.mdrPercent, 75);
  const r = Array.from({ length: 12 }, (_, i) => 100 + 200 * i);
  for (const k of [MIN_MATCHED_BEATS - 1, MIN_MATCHED_BEATS]) {
    const preds = r.slice(0, k).map((p, i) => p + (i % 2 === 0 ? 3 : -3));
    const m = anchorMetrics(preds, r, { evalRange: [0, 10000] });
    t.equal(m.matched, k);
    t.equal(Number.isNaN(m.timingErrorMs), k < MIN_MATCHED_BEATS, `${k} matched beats`);
  }
});

t.test('reference-single-cycle agrees with the notebook on its two corner cases', async (t) => {
  // The timing-error denominator counts the misses after the offset correction: 25 samples / (5 − 0/5) = 25.0 ms.
  const m = anchorMetrics([4020, 4220, 4420, 4645, 4820], [4000, 4200, 4400, 4600, 4800], { definition: 'reference-single-cycle' });
  t.ok(...near(m.timingErrorMs, 25.0, 1e-12, 'notebook: 25.0 ms'));
  t.ok(...near(m.mdrPercent, 20, 1e-12, 'MDR: one miss before the offset correction, of five'));
  // A recording in which nothing was detected has an MDR of 100 %, not in-range / all peaks.
  const none = anchorMetrics([], [1000, 2000, 4000, 5000], { definition: 'reference-single-cycle' });
  t.equal(none.mdrPercent, 100);
});

t.test('gap filling by hand', async (t) => {
  const S = 0.433;
  const sig = Float64Array.from([1, S, S, S, 5, S, S, S, S, S, 9, S]);
  const written = Uint8Array.from([1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0]);
  fillGaps(sig, written, 3);
  // Gap of 3 between 1 and 5 → 2, 3, 4; gap of 5 > 3 and the trailing gap keep the fill value.
  t.same(Array.from(sig), [1, 2, 3, 4, 5, S, S, S, S, S, 9, S]);
  // The reference loop: linspace(1, 5, 3) over the 3 gap samples repeats both ends.
  const ref = Float64Array.from([1, S, S, S, ...Array<number>(36).fill(5)]);
  fillGapsReference(ref, S, 30);
  t.same(Array.from(ref.subarray(0, 6)), [1, 1, 3, 5, 5, 5]);
});

// ---------------------------------------------------------------------------------------------
// A synthetic periodic recording where the answer is known

const P = 160; // cycle length (samples); PPI class 159
const N = 4000; // 25 cycles
const EVAL: [number, number] = [1000, 3000];
/** Piecewise-linear cycle template over 200 points, knots at integer points (so resampling is exact). */
function template(x: number): number {
  const knots: [number, number][] = [
    [0, 0.2],
    [60, 0.2],
    [70, 1],
    [80, 0],
    [120, 0.5],
    [140, 0.2],
    [199, 0.2],
  ];
  for (let i = 1; i < knots.length; i++) {
    const [x0, y0] = knots[i - 1]!;
    const [x1, y1] = knots[i]!;
    if (x <= x1) return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0);
  }
  return knots[knots.length - 1]![1];
}
const shape200 = Float64Array.from({ length: 200 }, (_, i) => template(i));
// The cycle stretched to P samples, straight from the template: sample k sits at 199k/(P − 1).
const cycle = Array.from({ length: P }, (_, k) => template((199 * k) / (P - 1)));
let m = 0;
for (let k = 1; k < P; k++) if (cycle[k]! > cycle[m]!) m = k;
const R = Array.from({ length: N / P }, (_, k) => k * P + m); // R-peak of cycle k
const ecg = Float64Array.from({ length: N }, (_, i) => 2 * cycle[i % P]! - 0.5); // mV
const truthCycleMv = Array.from(shape200, (v) => 2 * v - 0.5);

interface Tweaks {
  readonly anchorShift?: number;
  readonly ppiClass?: (k: number) => number;
}

function makeTrial(tw: Tweaks = {}): RadarEcgTrial {
  const windows: RadarEcgWindow[] = [];
  for (let k = 0; k < R.length; k++) {
    const start = R[k]! - 400;
    if (start < 0 || start + 800 > N) continue;
    const anchorPred = new Float32Array(800);
    for (const r of R) {
      const idx = r - start + (tw.anchorShift ?? 0);
      if (idx >= 0 && idx < 800) anchorPred[idx] = 1;
    }
    const ppiLogits = new Float32Array(260);
    ppiLogits[tw.ppiClass ? tw.ppiClass(k) : P - 1] = 5;
    windows.push({ start, anchorPred, shapePred: shape200, shapeTrue: truthCycleMv, ppiLogits, cycleLength: P, cycleStart: k * P, cycleEnd: (k + 1) * P });
  }
  return { rPeaks: R, ecg, windows };
}

t.test('synthetic recording: the set-up is what the test assumes', async (t) => {
  t.equal(m, 56, 'the stretched cycle peaks at sample 56');
  t.equal(makeTrial().windows.length, 20, 'windows for cycles 3..22');
  const peaks = collectAnchorPeaks(makeTrial().windows, N);
  t.same(combineClosePeaks(peaks), R.slice(1), 'every R-peak but the first is seen, exactly');
});

t.test('perfect predictions: RMSE 0, PCC 1, errors 0, MDR 0', async (t) => {
  const trial = makeTrial();
  const row = evaluateTrial(trial, { evalRange: EVAL });
  t.ok(...near(row.rmseMv, 0, 1e-12, 'RMSE'));
  t.ok(...near(row.pcc, 1, 1e-12, 'PCC'));
  t.same([row.ppiErrorMs, row.timingErrorMs, row.mdrPercent, row.hrErrorBpm], [0, 0, 0, 0]);
  const lt = longTermMetrics(trial, { evalRange: EVAL });
  t.ok(...near(lt.rmseMv, 0, 1e-12, 'long-term RMSE'));
  t.ok(...near(lt.pcc, 1, 1e-12, 'long-term PCC'));
  t.same([lt.timingErrorMs, lt.mdrPercent], [0, 0]);
  t.equal(lt.anchor.evaluated, 13, 'R-peaks 1016..2936 are evaluated');
  const { signal } = assembleLongTermEcg(trial, { evalRange: EVAL });
  t.equal(signal[0], 0.433, 'before the first placed beat: the fill value');
  t.ok(...near(signal[P + 7]!, cycle[7]!, 1e-12, 'beat 1 sits on the truth'));
  // Δm% of a perfect row against the paper's baseline: RMSE and the errors improve by 100%.
  const perfect = deltaMFromSpec(TABLE2_DELTA_M, table2Row(row));
  const byHand = (100 * ((1 + (1 - 0.866) / 0.866) / 2 + 1 + (1 + 1) / 2)) / 3;
  t.ok(...near(perfect, byHand, 1e-9, 'Δm% of the perfect row'));
});

t.test('a known anchor shift gives that timing error', async (t) => {
  const trial = makeTrial({ anchorShift: 4 }); // 4 samples late = 20 ms
  const raw = evaluateTrial(trial, { evalRange: EVAL, removeOffset: false });
  t.equal(raw.timingErrorMs, 20);
  t.equal(raw.mdrPercent, 0);
  const corrected = evaluateTrial(trial, { evalRange: EVAL });
  t.equal(corrected.timingErrorMs, 0, 'the median offset absorbs a constant shift');
  const lt = longTermMetrics(trial, { evalRange: EVAL, removeOffset: false });
  t.equal(lt.anchor.offsetMs, 20);
  t.equal(lt.timingErrorMs, 20);
  // The assembled signal is the truth delayed by 4 samples: RMSE = 2 mV × RMS of x_i − x_{i−4}.
  let ss = 0;
  for (let i = EVAL[0]; i < EVAL[1]; i++) ss += (cycle[i % P]! - cycle[(i - 4) % P]!) ** 2;
  t.ok(...near(lt.rmseMv, 2 * Math.sqrt(ss / (EVAL[1] - EVAL[0])), 1e-12, 'RMSE of the delayed signal'));
  t.ok(...near(longTermMetrics(trial, { evalRange: EVAL }).rmseMv, 0, 1e-12, 'placement corrected by the offset'));
  // Beyond the 150-ms window every peak is missed.
  const far = evaluateTrial(makeTrial({ anchorShift: 35 }), { evalRange: EVAL, removeOffset: false });
  t.equal(far.mdrPercent, 100);
  t.ok(Number.isNaN(far.timingErrorMs));
});

t.test('a known PPI error gives that error in ms and bpm', async (t) => {
  const plus3 = evaluateTrial(makeTrial({ ppiClass: () => P - 1 + 3 }), { evalRange: EVAL });
  t.equal(plus3.ppiErrorMs, 15);
  t.ok(...near(plus3.hrErrorBpm, 12000 / 160 - 12000 / 163, 1e-12, 'HR error'));
  // Cycles 3..22 alternate +2 / −4 samples: RMSE = √((4 + 16)/2) samples.
  const mixed = evaluateTrial(makeTrial({ ppiClass: (k) => P - 1 + (k % 2 ? 2 : -4) }), { evalRange: EVAL });
  t.ok(...near(mixed.ppiErrorMs, Math.sqrt(10) * 5, 1e-12, 'mixed PPI RMSE'));
  const lt = longTermMetrics(makeTrial({ ppiClass: () => P - 1 + 3 }), { evalRange: EVAL });
  t.ok(lt.rmseMv > 0 && lt.pcc < 1, 'stretched beats no longer tile the recording');
});

t.test("the reference's definitions reproduce its slips", async (t) => {
  const trial = makeTrial();
  const ref = evaluateTrial(trial, { evalRange: EVAL, definition: 'reference' });
  t.ok(ref.rmseMv > 0 && ref.rmseMv < 0.2, 'the re-interpolated truth no longer matches exactly');
  t.same([ref.ppiErrorMs, ref.timingErrorMs, ref.mdrPercent], [0, 0, 0]);
  // Long-term: beats are stretched to the class (159 samples, one short) on the one-past-end grid.
  const lt = longTermMetrics(trial, { evalRange: EVAL, definition: 'reference' });
  t.ok(lt.rmseMv > 0, 'reference long-term RMSE > 0 on perfect predictions');
  t.same([lt.timingErrorMs, lt.mdrPercent], [0, 0]);
  // It places beats at ground-truth R-peaks: even 20 samples late predictions are placed exactly.
  const late = assembleLongTermEcg(makeTrial({ anchorShift: 20 }), { evalRange: EVAL, definition: 'reference', removeOffset: false });
  t.same(late.placed, R.filter((r) => r >= EVAL[0] && r <= EVAL[1]));
  const noBounds = makeTrial();
  const stripped: RadarEcgTrial = { ...noBounds, windows: noBounds.windows.map(({ cycleStart: _s, cycleEnd: _e, ...w }) => w) };
  t.throws(() => assembleLongTermEcg(stripped, { definition: 'reference' }), { name: 'ConfigError', message: /cycleStart\/cycleEnd/ });
});

t.test('median over recordings', async (t) => {
  const row = (x: number): Table2Metrics => ({ rmseMv: x, pcc: x, ppiErrorMs: x, timingErrorMs: x, mdrPercent: x, hrErrorBpm: x });
  t.same(aggregateTrials([row(1), row(3), row(2)]), row(2));
  t.same(aggregateTrials([row(1), row(4), row(2), row(3)]), row(2.5));
  t.throws(() => aggregateTrials([]), ConfigError);
  t.throws(() => longTermMetrics({ rPeaks: [], windows: [] }), { name: 'ConfigError', message: /trial\.ecg/ });
});
