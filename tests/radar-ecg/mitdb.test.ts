import t from 'tap';
import { fileURLToPath } from 'node:url';
import { beatSamples, readAnnotations, readWfdbRecord, signalIndex } from '../../datasets/radar-ecg/wfdb.js';
import { detectRPeaks, heartRateBpm, matchBeats, segmentCycles } from '../../datasets/radar-ecg/rpeaks.js';

// MIT-BIH Arrhythmia Database record 100 (two leads, 30 min 5 s at 360 Hz), shipped in ../shared.
const dir = fileURLToPath(new URL('../../../shared/data/mitdb/', import.meta.url));
const record = `${dir}100`;

t.test('record 100: header and signals', async (t) => {
  const rec = readWfdbRecord(record);
  const h = rec.header;
  t.equal(h.record, '100');
  t.equal(h.nSignals, 2);
  t.equal(h.fs, 360);
  t.equal(h.nSamples, 650000);
  t.same(h.signals.map((s) => s.description), ['MLII', 'V5']);
  for (const s of h.signals) {
    t.equal(s.file, '100.dat');
    t.equal(s.format, 212);
    t.equal(s.gain, 200);
    t.equal(s.baseline, 1024);
    t.equal(s.adcResolution, 11);
    t.equal(s.units, 'mV');
  }
  t.same(h.signals.map((s) => s.initialValue), [995, 1011]);
  t.same(h.signals.map((s) => s.checksum), [-22131, 20052]);
  t.same([rec.digital[0]![0], rec.digital[1]![0]], [995, 1011], 'first samples equal the header initial values');
  t.equal(rec.physical[0]![0], (995 - 1024) / 200, 'mV = (adu − baseline) / gain');
  t.ok(h.comments.some((c) => c.startsWith('69 M')), 'comment lines kept');
  t.equal(signalIndex(h, 'V5'), 1);
});

t.test('record 100: reference annotations', async (t) => {
  const anns = readAnnotations(`${record}.atr`);
  const counts: Record<string, number> = {};
  for (const a of anns) counts[a.symbol] = (counts[a.symbol] ?? 0) + 1;
  t.same(counts, { '+': 1, N: 2239, A: 33, V: 1 });
  t.equal(anns[0]!.aux, '(N', 'rhythm annotation carries its AUX text');
  const beats = beatSamples(anns);
  t.equal(beats.length, 2273);
  t.same([beats[0], beats[beats.length - 1]], [77, 649991]);
  t.ok(beats.every((b, i) => i === 0 || b > beats[i - 1]!), 'beat times increase');
});

t.test('record 100: R-peak detector on MLII against the annotations (EC57, 150 ms)', async (t) => {
  const rec = readWfdbRecord(record);
  const ref = beatSamples(readAnnotations(`${record}.atr`));
  const ecg = rec.physical[signalIndex(rec.header, 'MLII')]!;
  const t0 = performance.now();
  const det = detectRPeaks(ecg, rec.header.fs);
  const ms = performance.now() - t0;
  const m = matchBeats(ref, det, rec.header.fs, 0.15);
  t.comment(
    `MIT-BIH 100 MLII: TP ${m.tp} FN ${m.fn} FP ${m.fp}; Se ${(100 * m.sensitivity).toFixed(2)}% ` +
      `+P ${(100 * m.positivePredictivity).toFixed(2)}%; mean |error| ${(1000 * m.meanAbsErrorS).toFixed(1)} ms; ${ms.toFixed(0)} ms`,
  );
  t.ok(m.sensitivity >= 0.995, 'sensitivity ≥ 99.5%');
  t.ok(m.positivePredictivity >= 0.995, 'positive predictivity ≥ 99.5%');
  t.ok(m.meanAbsErrorS < 0.01, 'peaks sit on the annotated R waves (mean error < 10 ms)');
  const hr = heartRateBpm(det, 360);
  t.ok(Math.abs(hr - heartRateBpm(ref, 360)) < 0.5, `heart rate ${hr.toFixed(1)} bpm`);
  const cycles = segmentCycles(ecg, det);
  t.equal(cycles.length, det.length - 2, 'one cycle per pair of successive R peaks, less the first (it would start before the record)');
  t.ok(cycles.every((c) => c.rPeak - c.start === cycles[0]!.rPeak - cycles[0]!.start), 'R at a fixed offset (0.35 × mean RR) into each cycle');
  const lens = cycles.map((c) => c.end - c.start).sort((a, b) => a - b);
  t.ok(lens[0]! > 0.3 * 360 && lens[lens.length - 1]! < 1.6 * 360, `cycle lengths ${lens[0]}–${lens[lens.length - 1]} samples`);
});
