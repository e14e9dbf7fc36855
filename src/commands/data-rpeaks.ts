/**
 * `mtl-bench data rpeaks --in ecg.npy --fs 200 [--out peaks.json]`: R-peak detection on a 1-D ECG
 * stored as .npy (any numeric dtype, one recording). Writes `{ fs, peaks, heartRateBpm }` as JSON
 * (to stdout without --out); `peaks` are sample indices, `heartRateBpm` is null with < 2 peaks.
 */
import { writeFileAtomicSync } from '../atomic.js';
import type { CommandModule } from 'yargs';
import { detectRPeaks, heartRateBpm } from '../../datasets/radar-ecg/rpeaks.js';
import { readSignal1d } from '../../datasets/npy.js';

interface Args {
  in: string;
  fs: number;
  out?: string;
}

export interface RPeaksResult {
  readonly fs: number;
  readonly peaks: number[];
  readonly heartRateBpm: number | null;
}

/** Detect R peaks in a 1-D .npy ECG (shapes [n], [1, n] and [n, 1] are accepted). */
export function rpeaksFromNpy(file: string, fs: number): RPeaksResult {
  const peaks = detectRPeaks(readSignal1d(file, 'ECG'), fs);
  const hr = heartRateBpm(peaks, fs);
  return { fs, peaks: Array.from(peaks), heartRateBpm: Number.isFinite(hr) ? Math.round(hr * 100) / 100 : null };
}

export const rpeaksCommand: CommandModule<object, Args> = {
  command: 'rpeaks',
  describe: 'Detect R peaks in a 1-D ECG (.npy) and write their sample indices as JSON',
  builder: (y) =>
    y
      .option('in', { type: 'string', demandOption: true, describe: '1-D ECG as .npy (mV or any unit)' })
      .option('fs', { type: 'number', demandOption: true, describe: 'sampling rate in Hz' })
      .option('out', { type: 'string', describe: 'output JSON file (default: stdout)' }),
  handler: (args) => {
    const res = rpeaksFromNpy(args.in, args.fs);
    const json = JSON.stringify(res);
    if (args.out) {
      writeFileAtomicSync(args.out, json + '\n');
      const hr = res.heartRateBpm === null ? 'n/a' : `${res.heartRateBpm.toFixed(1)} bpm`;
      console.log(`${res.peaks.length} R peaks, mean heart rate ${hr} -> ${args.out}`);
    } else {
      console.log(json);
    }
  },
};
