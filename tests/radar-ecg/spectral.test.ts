import t from 'tap';
import { butterBandpassGain, nextPow2, periodogram, realFromHalfSpectrum, zeroPhaseFilter } from '../../datasets/radar-ecg/spectral.js';

t.test('zero-phase band-pass: Butterworth |H|² gain, no phase shift, offsets removed', async (t) => {
  const fs = 200;
  const gain = butterBandpassGain(5, 15, 3);
  for (const f0 of [1, 10, 50]) {
    const x = Float64Array.from({ length: 1000 }, (_, i) => Math.sin((2 * Math.PI * f0 * i) / fs) + 3);
    const y = zeroPhaseFilter(x, fs, gain);
    let c = 0;
    let q = 0;
    for (let i = 200; i < 800; i++) {
      c += y[i]! * Math.sin((2 * Math.PI * f0 * i) / fs);
      q += y[i]! * Math.cos((2 * Math.PI * f0 * i) / fs);
    }
    t.ok(Math.abs(c / 300 - gain(f0)) < 0.01, `${f0} Hz: in-phase gain ${(c / 300).toFixed(4)} vs |H|² ${gain(f0).toFixed(4)}`);
    t.ok(Math.abs(q / 300) < 0.01, `${f0} Hz: no quadrature (phase) component`);
  }
  t.equal(zeroPhaseFilter(new Float64Array(0), fs, gain).length, 0);
  t.equal(zeroPhaseFilter(Float64Array.of(1, 2, 3), fs, gain).length, 3);
});

t.test('realFromHalfSpectrum and periodogram agree on a cosine', async (t) => {
  const size = 256;
  const amp = new Float64Array(size / 2 + 1);
  const ph = new Float64Array(size / 2 + 1);
  amp[8] = size / 2; // unit-amplitude cosine at bin 8
  ph[8] = 0.3;
  const x = realFromHalfSpectrum(amp, ph, size);
  t.ok(Math.abs(x[0]! - Math.cos(0.3)) < 1e-12 && Math.abs(x[5]! - Math.cos((2 * Math.PI * 8 * 5) / size + 0.3)) < 1e-12);
  const p = periodogram(x, 64);
  let best = 0;
  for (let i = 0; i < p.power.length; i++) if (p.power[i]! > p.power[best]!) best = i;
  t.equal(p.freq[best], (8 * 64) / size);
  t.same([nextPow2(1), nextPow2(5), nextPow2(1024)], [1, 8, 1024]);
});
