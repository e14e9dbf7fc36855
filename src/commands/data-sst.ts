/**
 * `mtl-bench data sst --in X.npy --fs 200 --out Y.npy [--fmin 1 --fmax 25 --bins 71 --frame-rate 30]`:
 * synchrosqueezed wavelet transform of a 1-D signal. Writes |SST| as float32 [bins, frames] and,
 * next to it, Y.json with the ascending bin frequencies (Hz), the frame rate and the options used.
 */
import { writeFileAtomicSync } from '../atomic.js';
import { ConfigError, DataError, fmt } from '../errors.js';
import type { CommandModule } from 'yargs';
import { readSignal1d, writeNpy } from '../../datasets/npy.js';
import { sst } from '../../datasets/radar-ecg/sst.js';

export interface DataSstArgs {
  in: string;
  fs: number;
  out: string;
  fmin: number;
  fmax: number;
  bins: number;
  'frame-rate': number;
  voices?: number;
}

/** A too-short signal is a fault of the input file: name it. */
function withFile<T>(file: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ConfigError && e.field === 'sst signal length') throw new DataError(file, `${fmt(e.value)} samples; expected ${e.expected}`);
    throw e;
  }
}

/** Run the command; returns the paths written. */
export function runDataSst(a: DataSstArgs): { npy: string; json: string; bins: number; frames: number; seconds: number } {
  const x = readSignal1d(a.in, 'signal');
  const t0 = performance.now();
  const r = withFile(a.in, () => sst(x, { fs: a.fs, fmin: a.fmin, fmax: a.fmax, bins: a.bins, frameRate: a['frame-rate'], ...(a.voices !== undefined ? { voices: a.voices } : {}) }));
  const seconds = (performance.now() - t0) / 1000;
  writeNpy(a.out, r.data, [r.bins, r.frames]);
  const json = a.out.replace(/\.npy$/i, '') + '.json';
  writeFileAtomicSync(
    json,
    `${JSON.stringify({ source: a.in, fs: a.fs, samples: x.length, layout: '[bins, frames], |SST|', frequenciesHz: Array.from(r.frequencies), frameRate: r.frameRate, bins: r.bins, frames: r.frames, fmin: a.fmin, fmax: a.fmax, voices: a.voices ?? null }, null, 1)}\n`,
  );
  return { npy: a.out, json, bins: r.bins, frames: r.frames, seconds };
}

export const dataSstCommand: CommandModule<object, DataSstArgs> = {
  command: 'sst',
  describe: 'Synchrosqueezed wavelet transform of a 1-D .npy signal (float32 [bins, frames] + .json)',
  builder: (y) =>
    y
      .option('in', { type: 'string', demandOption: true, describe: '1-D float .npy signal' })
      .option('fs', { type: 'number', demandOption: true, describe: 'sampling rate of the signal, Hz' })
      .option('out', { type: 'string', demandOption: true, describe: 'output .npy (a .json with the frequencies goes next to it)' })
      .option('fmin', { type: 'number', default: 1, describe: 'lowest bin centre, Hz' })
      .option('fmax', { type: 'number', default: 25, describe: 'highest bin centre, Hz' })
      .option('bins', { type: 'number', default: 71, describe: 'log-spaced frequency bins' })
      .option('frame-rate', { type: 'number', default: 30, describe: 'output frame rate, Hz' })
      .option('voices', { type: 'number', describe: 'CWT voices per octave (default max(10, bins per octave))' }) as never,
  handler: (args) => {
    const r = runDataSst(args);
    console.log(`wrote ${r.npy} [${r.bins}, ${r.frames}] and ${r.json} (${r.seconds.toFixed(2)} s)`);
  },
};
