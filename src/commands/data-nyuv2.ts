/**
 * `mtl-bench data nyuv2 fixture|check`: write the synthetic NYUv2 stand-in, or validate a dataset
 * root (a real MTAN/LibMTL download or a fixture) and print its counts.
 */
import type { Argv, CommandModule } from 'yargs';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { buildDirAtomicSync } from '../atomic.js';
import { ConfigError, DataError } from '../errors.js';
import { writeNyuv2Fixture } from '../../datasets/nyuv2/fixture.js';
import { readNpy } from '../../datasets/npy.js';
import {
  NYUV2_CLASSES,
  NYUV2_HEIGHT,
  NYUV2_KINDS,
  NYUV2_SPLITS,
  NYUV2_TRAIN_COUNT,
  NYUV2_VAL_COUNT,
  NYUV2_WIDTH,
  Nyuv2Split,
  validateSample,
  type NyuSample,
} from '../../datasets/nyuv2/loader.js';

interface FixtureArgs {
  out: string;
  samples: number;
  'val-samples'?: number;
  height: number;
  width: number;
  seed: number;
}

const fixtureCommand: CommandModule<object, FixtureArgs> = {
  command: 'fixture',
  describe: 'Render a seeded synthetic NYUv2 (rooms of planes and boxes) in the real on-disk layout',
  builder: (y) =>
    y
      .option('out', { type: 'string', demandOption: true, describe: 'dataset root to create (gets train/ and val/)' })
      .option('samples', { type: 'number', demandOption: true, describe: 'training samples (the real split has 795)' })
      .option('val-samples', { type: 'number', describe: 'test samples in val/ (default samples·654/795)' })
      .option('height', { type: 'number', default: NYUV2_HEIGHT, describe: 'image height' })
      .option('width', { type: 'number', default: NYUV2_WIDTH, describe: 'image width' })
      .option('seed', { type: 'number', default: 0, describe: 'scene seed' })
      .example('$0 data nyuv2 fixture --out data/nyuv2-fixture --samples 64 --height 72 --width 96', 'a small CPU-sized fixture'),
  handler: (args) => {
    const t0 = performance.now();
    checkFixtureOut(args.out);
    const r = buildDirAtomicSync(args.out, (tmp) => writeNyuv2Fixture({
      out: tmp,
      trainSamples: args.samples,
      ...(args['val-samples'] !== undefined ? { valSamples: args['val-samples'] } : {}),
      height: args.height,
      width: args.width,
      seed: args.seed,
    }));
    console.log(`wrote ${args.out}: train ${r.train}, val ${r.val} samples of ${r.height}×${r.width} (seed ${args.seed}) in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  },
};

/** The fixture replaces `out` only when complete: it must be new, empty or an earlier fixture (train/ and val/ only). */
function checkFixtureOut(out: string): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new ConfigError('--out', out, 'a new or empty directory, or an earlier fixture (this is a file)');
  const extra = readdirSync(out).filter((n) => !(NYUV2_SPLITS as readonly string[]).includes(n));
  if (extra.length > 0) throw new ConfigError('--out', out, `a new or empty directory, or an earlier fixture with only ${NYUV2_SPLITS.join('/')} (found ${extra.slice(0, 3).join(', ')})`);
}

interface CheckArgs {
  root: string;
  'normal-tolerance': number;
  'max-errors': number;
}

interface SplitStats {
  samples: number;
  classPixels: Float64Array;
  ignored: number;
  pixels: number;
  depthValid: number;
  depthMin: number;
  depthMax: number;
  depthSum: number;
  normalValid: number;
}

function accumulate(st: SplitStats, s: NyuSample): void {
  st.samples++;
  const n = s.height * s.width;
  st.pixels += n;
  for (let p = 0; p < n; p++) {
    const l = s.label[p]!;
    if (l < 0) st.ignored++;
    else st.classPixels[l]! += 1;
    const d = s.depth[p]!;
    if (d !== 0) {
      st.depthValid++;
      st.depthSum += d;
      if (d < st.depthMin) st.depthMin = d;
      if (d > st.depthMax) st.depthMax = d;
    }
    if (s.normal[3 * p] !== 0 || s.normal[3 * p + 1] !== 0 || s.normal[3 * p + 2] !== 0) st.normalValid++;
  }
}

const pct = (a: number, b: number): string => `${((100 * a) / b).toFixed(1)}%`;

const checkCommand: CommandModule<object, CheckArgs> = {
  command: 'check',
  describe: 'Validate every file of a NYUv2 root (shapes, dtypes, ranges, unit normals) and print counts',
  builder: (y) =>
    y
      .option('root', { type: 'string', demandOption: true, describe: 'dataset root holding train/ and val/' })
      .option('normal-tolerance', { type: 'number', default: 0.05, describe: 'tolerated | |n| − 1 | of a valid normal' })
      .option('max-errors', { type: 'number', default: 20, describe: 'stop after this many bad samples' })
      .example('$0 data nyuv2 check --root ~/data/nyuv2', 'validate a real download'),
  handler: (args) => {
    const problems: DataError[] = [];
    let height = 0;
    let width = 0;
    for (const split of NYUV2_SPLITS) {
      const sp = Nyuv2Split.open(args.root, split, { normalTolerance: args['normal-tolerance'], ...(height ? { expectedSize: [height, width] as const } : {}) });
      height = sp.height;
      width = sp.width;
      const dtypes = NYUV2_KINDS.map((k) => `${k} ${readNpy(sp.file(k, 0)).dtype}`).join(', ');
      const st: SplitStats = { samples: 0, classPixels: new Float64Array(NYUV2_CLASSES), ignored: 0, pixels: 0, depthValid: 0, depthMin: Infinity, depthMax: -Infinity, depthSum: 0, normalValid: 0 };
      for (let i = 0; i < sp.count && problems.length < args['max-errors']; i++) {
        try {
          const files = sp.files(i);
          const arrays = { image: readNpy(files.image), label: readNpy(files.label), depth: readNpy(files.depth), normal: readNpy(files.normal) };
          accumulate(st, validateSample(files, arrays, sp.height, sp.width, { normalTolerance: args['normal-tolerance'] }));
        } catch (e) {
          if (!(e instanceof DataError)) throw e;
          problems.push(e);
          console.log(`BAD  ${e.message}`);
        }
      }
      const expected = split === 'train' ? NYUV2_TRAIN_COUNT : NYUV2_VAL_COUNT;
      console.log(`${split}: ${sp.count} samples of ${sp.height}×${sp.width}${sp.count === expected ? '' : ` (the standard split has ${expected})`}; ${st.samples} valid; dtypes ${dtypes}`);
      if (st.samples === 0) continue;
      const labelled = st.pixels - st.ignored;
      console.log(`  labels: ${pct(st.ignored, st.pixels)} ignored (−1); class shares of labelled pixels: ${Array.from(st.classPixels, (c, k) => `${k}:${pct(c, labelled)}`).join(' ')}`);
      console.log(`  depth: ${pct(st.depthValid, st.pixels)} valid, ${st.depthMin.toFixed(3)}–${st.depthMax.toFixed(3)} m, mean ${(st.depthSum / st.depthValid).toFixed(3)} m`);
      console.log(`  normal: ${pct(st.normalValid, st.pixels)} valid`);
    }
    if (height !== NYUV2_HEIGHT || width !== NYUV2_WIDTH) console.log(`note: the pre-processed NYUv2 is ${NYUV2_HEIGHT}×${NYUV2_WIDTH}; this root is ${height}×${width}`);
    if (problems.length > 0) {
      throw new DataError(problems[0]!.file, `${problems.length}${problems.length >= args['max-errors'] ? '+' : ''} invalid sample(s); first: ${problems[0]!.problem}`);
    }
    console.log('ok');
  },
};

export const dataNyuv2Command: CommandModule<object, object> = {
  command: 'nyuv2 <command>',
  describe: 'NYUv2 (MTAN/LibMTL pre-processed layout): make a synthetic fixture or check a download',
  builder: (y: Argv) =>
    y
      .command(fixtureCommand as unknown as CommandModule<object, object>)
      .command(checkCommand as unknown as CommandModule<object, object>)
      .demandCommand(1, 'Name a nyuv2 subcommand: fixture or check.'),
  handler: () => {},
};
