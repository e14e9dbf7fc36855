import t from 'tap';
import { Rng } from '../../src/rng.js';
import { sampleSubject, synthesizeEcg } from '../../datasets/radar-ecg/ecgsyn.js';
import { radarBeats, sampleRadarSubject, simulateRadar, tWaveEnds, WAVELENGTH_77GHZ_MM, type RadarSubject } from '../../datasets/radar-ecg/radar.js';
import { sst } from '../../datasets/radar-ecg/sst.js';

const rng = Rng.fromSeed('radar-test');
const subject = { ...sampleSubject(rng.fork('ecg-subject'), 'r1'), meanHr: 70 };
const ecg = synthesizeEcg(subject, 20, rng.fork('ecg'));

/** One channel at the sources, no delays, no noise, no respiration: only the two vibrations. */
function cardiacOnly(base: RadarSubject): RadarSubject {
  return {
    ...base,
    respAmplitudeMm: 0,
    jitter: { amp: 0, width: 0, freq: 0, timeS: 0 },
    channels: [{ xCm: 0, yCm: 0, gain1: 1, gain2: 1, delay1S: 0, delay2S: 0, respGain: 0, noiseUm: 0 }],
  };
}

t.test('wavelength and phase scale: Δφ = 4π x / λ at 77 GHz', async (t) => {
  t.ok(Math.abs(WAVELENGTH_77GHZ_MM - 3.893) < 0.001);
  const base = sampleRadarSubject(rng.fork('s1'), 1, subject.respirationHz);
  const respOnly: RadarSubject = {
    ...cardiacOnly(base),
    a1Um: 0,
    a2Um: 0,
    respAmplitudeMm: 2,
    respHarmonics: [0, 0],
    respIrregularity: 0,
    channels: [{ ...cardiacOnly(base).channels[0]!, respGain: 1 }],
  };
  const rec = simulateRadar(ecg, respOnly, rng.fork('sim1'));
  const peak = rec.phase.reduce((a, v) => Math.max(a, Math.abs(v)), 0);
  const expected = (4 * Math.PI * 2) / WAVELENGTH_77GHZ_MM;
  t.ok(Math.abs(peak - expected) / expected < 0.01, `peak phase ${peak.toFixed(3)} rad for a 2 mm breath (expected ${expected.toFixed(3)})`);
  t.equal(rec.samples, ecg.ecg.length);
});

t.test('vibrations are tied to the ECG: v1 at R + EMD, v2 at the T-wave end', async (t) => {
  const base = cardiacOnly(sampleRadarSubject(rng.fork('s2'), 1, subject.respirationHz));
  const beats = radarBeats(ecg, base, rng.fork('beats'));
  const ends = tWaveEnds(ecg.ecg, ecg.fs, ecg.rPeakTimes);
  t.equal(beats.length, ecg.rPeakTimes.length);
  for (let i = 0; i < beats.length; i++) {
    t.ok(Math.abs(beats[i]!.t1 - ecg.rPeakTimes[i]! - base.emdS) < 1e-12, 'T1 = R + EMD');
    t.ok(Math.abs(beats[i]!.t2 - ends[i]!) < 1e-12, 'T2 = T-wave end');
  }
  // T-wave ends of the synthetic ECG: QT-like delays, and the ECG is back near its baseline there.
  const rr = 60 / subject.meanHr;
  for (let i = 0; i + 1 < ends.length; i++) {
    const d = ends[i]! - ecg.rPeakTimes[i]!;
    t.ok(d > 0.2 && d < 0.6 * rr + 0.05, `R → T end ${d.toFixed(3)} s`);
  }
  // Vibration envelope: |phase| peaks within 25 ms of T1 (the stronger vibration at that beat).
  const rec = simulateRadar(ecg, { ...base, a2Um: 0 }, rng.fork('sim2'));
  const recBeats = rec.beats;
  for (const b of recBeats.slice(1, -1)) {
    const i0 = Math.round((b.t1 - 0.15) * rec.fs);
    let best = i0;
    for (let i = i0; i < i0 + Math.round(0.3 * rec.fs); i++) if (Math.abs(rec.phase[i]!) > Math.abs(rec.phase[best]!)) best = i;
    t.ok(Math.abs(best / rec.fs - b.t1) < 0.025, `peak at ${(best / rec.fs).toFixed(3)} s, T1 ${b.t1.toFixed(3)} s`);
  }
});

t.test('the SST of the radar shows v1 around f1 at T1, and no empty bins', async (t) => {
  const base = cardiacOnly(sampleRadarSubject(rng.fork('s3'), 1, subject.respirationHz));
  const rec = simulateRadar(ecg, { ...base, a2Um: 0 }, rng.fork('sim3'));
  const r = sst(rec.phase, { fs: rec.fs });
  const beats = rec.beats.slice(2, -2);
  for (const b of beats) {
    const j = Math.round(b.t1 * r.frameRate);
    let w = 0;
    let fw = 0;
    for (let k = 0; k < r.bins; k++) {
      const v = r.data[k * r.frames + j]!;
      w += v;
      fw += v * r.frequencies[k]!;
    }
    const centroid = fw / w;
    t.ok(Math.abs(centroid / b.f1Hz - 1) < 0.25, `SST centroid ${centroid.toFixed(1)} Hz at T1, f1 = ${b.f1Hz.toFixed(1)} Hz`);
    const f1Bin = r.frequencies.findIndex((f) => f >= b.f1Hz);
    const band = Array.from({ length: 7 }, (_, q) => r.data[(f1Bin - 3 + q) * r.frames + j]!);
    t.ok(Math.min(...band) > 0.2 * Math.max(...band), 'no starved bins around f1 (enough voices per octave)');
  }
});

t.test('50 channels with their own gains, delays and noise; deterministic for a seed', async (t) => {
  const s = sampleRadarSubject(Rng.fromSeed(9), 50, 0.25);
  t.equal(s.channels.length, 50);
  t.ok(new Set(s.channels.map((c) => c.gain1.toFixed(6))).size === 50, 'distinct gains');
  t.ok(s.channels.every((c) => c.noiseUm >= 1 && c.delay1S >= 0 && c.delay1S < 0.1));
  t.ok(s.respAmplitudeMm * 1000 > 20 * s.a1Um, 'respiration (mm) dwarfs the cardiac vibration (µm)');
  const a = simulateRadar(ecg, s, Rng.fromSeed(1));
  const b = simulateRadar(ecg, s, Rng.fromSeed(1));
  const c = simulateRadar(ecg, s, Rng.fromSeed(2));
  t.equal(a.phase.length, 50 * ecg.ecg.length);
  t.same(a.phase, b.phase, 'same seed, same signal');
  t.not(a.phase[1234], c.phase[1234], 'another seed, another noise');
});
