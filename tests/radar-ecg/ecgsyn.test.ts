import t from 'tap';
import { ECGSYN_DEFAULT_WAVES, sampleSubject, synthesizeEcg, type EcgSubject } from '../../datasets/radar-ecg/ecgsyn.js';
import { detectRPeaks, heartRateBpm, matchBeats } from '../../datasets/radar-ecg/rpeaks.js';
import { periodogram } from '../../datasets/radar-ecg/spectral.js';
import { ConfigError } from '../../src/errors.js';
import { Rng } from '../../src/rng.js';

t.test('six subjects × 2 min: heart rate, R peaks, amplitudes', async (t) => {
  const rng = Rng.fromSeed('ecgsyn-physics');
  const t0 = performance.now();
  const runs = Array.from({ length: 6 }, (_, i) => {
    const s = sampleSubject(rng, `subj${i}`);
    return { s, e: synthesizeEcg(s, 120, rng.fork(s.id)) };
  });
  const ms = performance.now() - t0;
  t.comment(`synthesis: 6 subjects × 120 s at 200 Hz in ${ms.toFixed(0)} ms`);
  t.ok(ms < 15000, 'synthesis is fast (≈0.5 s on an idle core; generous bound for loaded CI)');
  for (const { s, e } of runs) {
    t.equal(e.fs, 200);
    t.equal(e.ecg.length, 24000);
    t.ok(s.meanHr >= 50 && s.meanHr <= 110, `${s.id}: mean HR ${s.meanHr.toFixed(1)} in 50–110`);
    t.ok(e.rPeaks.every((p, i) => p === Math.round(e.rPeakTimes[i]! * 200) && p >= 0 && p < e.ecg.length), `${s.id}: peak indices agree with times`);
    const det = detectRPeaks(e.ecg, e.fs);
    const hr = heartRateBpm(det, e.fs);
    t.ok(Math.abs(hr - s.meanHr) < 2, `${s.id}: detected HR ${hr.toFixed(2)} vs configured ${s.meanHr.toFixed(2)} bpm`);
    const m = matchBeats(e.rPeaks, det, e.fs);
    t.ok(m.sensitivity >= 0.995 && m.positivePredictivity >= 0.995, `${s.id}: Se ${m.sensitivity} +P ${m.positivePredictivity}`);
    const within1 = Array.from(e.rPeaks).filter((p) => det.some((q) => Math.abs(q - p) <= 1)).length;
    t.ok(within1 / e.rPeaks.length >= 0.98, `${s.id}: ${within1}/${e.rPeaks.length} detections within one sample of the θ_R crossing`);
    // R amplitude above the local isoelectric level (median of the 0.4 s before the beat, which excludes the QRS).
    const amps = Array.from(e.rPeaks)
      .filter((p) => p > 80)
      .map((p) => {
        const pre = Array.from(e.ecg.subarray(p - 80, p - 30)).sort((a, b) => a - b);
        return Math.max(...e.ecg.subarray(p - 2, p + 3)) - pre[pre.length >> 1]!;
      })
      .sort((a, b) => a - b);
    const med = amps[amps.length >> 1]!;
    t.ok(Math.abs(med - s.rAmplitudeMv) < 0.25 && amps[0]! > 0.6 && amps[amps.length - 1]! < 2.5, `${s.id}: R amplitude median ${med.toFixed(2)} mV (configured ${s.rAmplitudeMv.toFixed(2)})`);
    let lo = Infinity;
    let hi = -Infinity;
    for (const v of e.ecg) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    t.ok(lo > -2 && hi < 2.5, `${s.id}: range [${lo.toFixed(2)}, ${hi.toFixed(2)}] mV`);
  }
});

t.test('deterministic for a seed', async (t) => {
  const make = (seed: string) => {
    const rng = Rng.fromSeed(seed);
    return synthesizeEcg(sampleSubject(rng, 'd'), 10, rng);
  };
  const a = make('x');
  const b = make('x');
  const c = make('y');
  t.same(Array.from(a.ecg), Array.from(b.ecg));
  t.same(Array.from(a.rPeakTimes), Array.from(b.rPeakTimes));
  t.notSame(Array.from(a.ecg.subarray(0, 50)), Array.from(c.ecg.subarray(0, 50)));
});

t.test('HRV: RR tachogram has LF and HF peaks at the configured frequencies', async (t) => {
  const base = sampleSubject(Rng.fromSeed('hrv'), 'hrv');
  for (const cfg of [
    { lfHz: 0.1, hfHz: 0.25, lfHfRatio: 1.5 },
    { lfHz: 0.09, hfHz: 0.3, lfHfRatio: 0.5 },
  ]) {
    const s: EcgSubject = { ...base, meanHr: 70, hrStd: 4, respirationHz: cfg.hfHz, ...cfg };
    const e = synthesizeEcg(s, 300, Rng.fromSeed(`hrv-${cfg.hfHz}`));
    // RR at each beat, linearly interpolated at 4 Hz.
    const tt = e.rPeakTimes;
    const fsr = 4;
    const rr: number[] = [];
    for (let k = 0, tq = tt[1]!; tq < tt[tt.length - 1]!; tq += 1 / fsr) {
      while (tt[k + 2]! < tq) k++;
      const r0 = tt[k + 1]! - tt[k]!;
      const r1 = tt[k + 2]! - tt[k + 1]!;
      rr.push(r0 + ((tq - tt[k + 1]!) / (tt[k + 2]! - tt[k + 1]!)) * (r1 - r0));
    }
    const { freq, power } = periodogram(Float64Array.from(rr), fsr, 4096);
    // Undo the low-pass of linear interpolation between beats (|H| = sinc² of f·RR).
    const rrMean = (tt[tt.length - 1]! - tt[0]!) / (tt.length - 1);
    const interpGain = (f: number) => (f === 0 ? 1 : (Math.sin(Math.PI * f * rrMean) / (Math.PI * f * rrMean)) ** 4);
    const band = (lo: number, hi: number) => {
      let best = -1;
      let sum = 0;
      for (let i = 0; i < freq.length; i++) {
        if (freq[i]! < lo || freq[i]! >= hi) continue;
        sum += power[i]! / interpGain(freq[i]!);
        if (best < 0 || power[i]! > power[best]!) best = i;
      }
      return { peak: freq[best]!, power: sum };
    };
    const lf = band(0.04, 0.15);
    const hf = band(0.15, 0.4);
    t.ok(Math.abs(lf.peak - cfg.lfHz) < 0.02, `LF peak ${lf.peak.toFixed(3)} Hz (configured ${cfg.lfHz})`);
    t.ok(Math.abs(hf.peak - cfg.hfHz) < 0.03, `HF peak ${hf.peak.toFixed(3)} Hz (configured ${cfg.hfHz})`);
    const ratio = lf.power / hf.power;
    t.ok(ratio > cfg.lfHfRatio / 1.6 && ratio < cfg.lfHfRatio * 1.6, `LF/HF ${ratio.toFixed(2)} (configured ${cfg.lfHfRatio})`);
    t.ok(Math.abs(60 / rrMean - 70) < 1, `mean HR ${(60 / rrMean).toFixed(2)} bpm`);
    const rrs = Array.from(tt.subarray(1), (v, k) => v - tt[k]!);
    const sd = Math.sqrt(rrs.reduce((a, v) => a + (v - rrMean) ** 2, 0) / rrs.length);
    const want = (60 * 4) / 70 ** 2;
    t.ok(Math.abs(sd - want) < 0.35 * want, `RR std ${(1000 * sd).toFixed(1)} ms (configured ${(1000 * want).toFixed(1)} ms)`);
  }
});

t.test('default ECGSYN morphology: R upright, S and Q below the baseline, T upright', async (t) => {
  const s: EcgSubject = {
    id: 'default', meanHr: 60, hrStd: 0.01, lfHfRatio: 1, lfHz: 0.1, hfHz: 0.25, lfWidthHz: 0.01, hfWidthHz: 0.01,
    waves: ECGSYN_DEFAULT_WAVES, respirationHz: 0.25, baselineWanderMv: 0, respAmpModulation: 0, rAmplitudeMv: 1.2, noiseMv: 0,
  };
  const e = synthesizeEcg(s, 10, Rng.fromSeed(1), 1000);
  const r = e.rPeaks[4]!;
  t.ok(Math.abs(e.ecg[r]! - 1.2) < 0.01, `R ${e.ecg[r]!.toFixed(3)} mV`);
  const seg = (a: number, b: number) => Array.from(e.ecg.subarray(r + a, r + b));
  t.ok(Math.min(...seg(-60, 0)) < -0.05, 'Q wave');
  t.ok(Math.min(...seg(0, 80)) < -0.1, 'S wave');
  t.ok(Math.max(...seg(150, 450)) > 0.15, 'T wave');
  t.ok(Math.max(...seg(-300, -100)) > 0.05, 'P wave');
  t.ok(Math.abs(e.rPeakTimes[5]! - e.rPeakTimes[4]! - 1) < 0.01, 'RR ≈ 1 s at 60 bpm');
});

t.test('invalid subjects and arguments are rejected', async (t) => {
  const s = sampleSubject(Rng.fromSeed(2), 'bad');
  const rng = Rng.fromSeed(3);
  t.throws(() => synthesizeEcg({ ...s, meanHr: 0 }, 10, rng), { name: 'ConfigError', message: /subject\(bad\)\.meanHr: got 0/ });
  t.throws(() => synthesizeEcg(s, -1, rng), ConfigError);
  t.throws(() => synthesizeEcg(s, 10, rng, 10), ConfigError);
  t.throws(() => synthesizeEcg({ ...s, waves: { ...s.waves, T: { ...s.waves.T, b: 0 } } }, 10, rng), { message: /waves\.T\.b/ });
});
