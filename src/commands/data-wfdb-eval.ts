/**
 * `mtl-bench data wfdb-eval --record DIR/100 [--signal MLII] [--annotator atr] [--window 0.15]`:
 * runs the R-peak detector on one signal of a WFDB record and scores it beat by beat against the
 * record's reference annotations (ANSI/AAMI EC57 sensitivity and positive predictivity).
 */
import type { CommandModule } from 'yargs';
import { beatSamples, readAnnotations, readWfdbRecord, signalIndex } from '../../datasets/radar-ecg/wfdb.js';
import { detectRPeaks, matchBeats, type BeatMatch } from '../../datasets/radar-ecg/rpeaks.js';

interface Args {
  record: string;
  signal: string;
  annotator: string;
  window: number;
  json: boolean;
}

export interface WfdbEvalResult extends BeatMatch {
  readonly record: string;
  readonly signal: string;
  readonly fs: number;
  readonly durationS: number;
  readonly referenceBeats: number;
  readonly detectedBeats: number;
  readonly windowS: number;
  readonly detectMs: number;
}

/** Detect on `signal` of `record` (path without extension) and match against `record.annotator`. */
export function evaluateWfdbRecord(record: string, signal: string | number = 0, annotator = 'atr', windowS = 0.15): WfdbEvalResult {
  const rec = readWfdbRecord(record);
  const k = signalIndex(rec.header, signal, `${record}.hea`);
  const ref = beatSamples(readAnnotations(`${record}.${annotator}`));
  const x = rec.physical[k]!;
  const t0 = performance.now();
  const det = detectRPeaks(x, rec.header.fs);
  const detectMs = performance.now() - t0;
  return {
    record,
    signal: rec.header.signals[k]!.description || String(k),
    fs: rec.header.fs,
    durationS: x.length / rec.header.fs,
    referenceBeats: ref.length,
    detectedBeats: det.length,
    windowS,
    detectMs,
    ...matchBeats(ref, det, rec.header.fs, windowS),
  };
}

export const wfdbEvalCommand: CommandModule<object, Args> = {
  command: 'wfdb-eval',
  describe: 'Score the R-peak detector on a WFDB record (e.g. MIT-BIH) against its beat annotations',
  builder: (y) =>
    y
      .option('record', { type: 'string', demandOption: true, describe: 'record path without extension, e.g. ../shared/data/mitdb/100' })
      .option('signal', { type: 'string', default: '0', describe: 'signal name (e.g. MLII) or number' })
      .option('annotator', { type: 'string', default: 'atr', describe: 'annotation file extension' })
      .option('window', { type: 'number', default: 0.15, describe: 'matching window in s (EC57: 0.15)' })
      .option('json', { type: 'boolean', default: false, describe: 'machine-readable output' }),
  handler: (args) => {
    const r = evaluateWfdbRecord(args.record, args.signal, args.annotator, args.window);
    if (args.json) {
      console.log(JSON.stringify(r, null, 2));
      return;
    }
    const pct = (v: number): string => `${(100 * v).toFixed(2)}%`;
    console.log(`record ${r.record}, signal ${r.signal}, ${r.fs} Hz, ${(r.durationS / 60).toFixed(1)} min`);
    console.log(`reference beats ${r.referenceBeats}, detected ${r.detectedBeats} (window ${(1000 * r.windowS).toFixed(0)} ms)`);
    console.log(`TP ${r.tp}  FN ${r.fn}  FP ${r.fp}`);
    console.log(`Se ${pct(r.sensitivity)}  +P ${pct(r.positivePredictivity)}  mean |error| ${(1000 * r.meanAbsErrorS).toFixed(1)} ms`);
    console.log(`detector time ${r.detectMs.toFixed(0)} ms`);
  },
};
