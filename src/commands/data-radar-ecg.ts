/**
 * `mtl-bench data radar-ecg synth|import|inspect`: generate a synthetic radar-ECG dataset, import
 * MMECG recordings (or the reference's preprocessed files), and summarise a dataset directory.
 */
import type { Argv, CommandModule } from 'yargs';
import { DEFAULT_HIGH_PASS_HZ, RadarEcgDataset, synthesizeDataset, TRIAL_STATUSES, type TrialStatus } from '../../datasets/radar-ecg/dataset.js';
import { importMmecg, importReferenceSegments, type ImportSummary } from '../../datasets/radar-ecg/mmecg.js';
import { noiseLabel, parseNoiseCondition } from '../../datasets/radar-ecg/noise.js';
import { PLACEMENTS, type Placement } from '../../datasets/radar-ecg/windows.js';
import { ConfigError, DataError } from '../errors.js';

interface SynthArgs {
  subjects: number;
  minutes: number;
  seed: string;
  out: string;
  'trials-per-subject': number;
  channels: number;
  bins: number;
  frames: number;
  fmin: number;
  fmax: number;
  voices?: number;
  'high-pass'?: number;
  placements: string;
  statuses?: string;
  noise: string;
  'noise-seed'?: string;
  'keep-radar': boolean;
  overwrite: boolean;
  quiet: boolean;
}

interface ImportArgs {
  in: string;
  out: string;
  'sst-dir'?: string;
  segments: boolean;
  'raw-dir'?: string;
  placement?: string;
  bins: number;
  frames: number;
  fmin: number;
  fmax: number;
  voices?: number;
  overwrite: boolean;
  quiet: boolean;
}

interface InspectArgs {
  dir: string;
  verify: boolean;
  json: boolean;
}

const seedOf = (s: string): number | string => (/^-?\d+$/.test(s) ? Number(s) : s);

function placementsOf(s: string): Placement[] {
  const ps = s.split(',').map((x) => x.trim()) as Placement[];
  for (const p of ps) if (!PLACEMENTS.includes(p)) throw new ConfigError('--placements', p, PLACEMENTS.join(' or '));
  return ps;
}

export function runSynth(a: SynthArgs): ReturnType<typeof synthesizeDataset> {
  const statuses = a.statuses?.split(',').map((s) => s.trim().toUpperCase() as TrialStatus);
  for (const s of statuses ?? []) if (!TRIAL_STATUSES.includes(s)) throw new ConfigError('--statuses', s, TRIAL_STATUSES.join(', '));
  return synthesizeDataset(
    {
      subjects: a.subjects,
      minutes: a.minutes,
      seed: seedOf(a.seed),
      trialsPerSubject: a['trials-per-subject'],
      channels: a.channels,
      bins: a.bins,
      frames: a.frames,
      fmin: a.fmin,
      fmax: a.fmax,
      ...(a.voices !== undefined ? { voices: a.voices } : {}),
      ...(a['high-pass'] !== undefined ? { highPassHz: a['high-pass'] } : {}),
      placements: placementsOf(a.placements),
      ...(statuses ? { statuses } : {}),
      noise: parseNoiseCondition(a.noise),
      ...(a['noise-seed'] !== undefined ? { noiseSeed: seedOf(a['noise-seed']) } : {}),
      keepRadar: a['keep-radar'],
      overwrite: a.overwrite,
      ...(a.quiet ? {} : { onProgress: (m: string) => console.error(`  ${m}`) }),
    },
    a.out,
  );
}

export async function runImport(a: ImportArgs): Promise<ImportSummary> {
  const progress = a.quiet ? undefined : (m: string): void => console.error(`  ${m}`);
  if (a.segments) {
    return importReferenceSegments({
      inDir: a.in,
      outDir: a.out,
      ...(a.placement ? { placement: placementsOf(a.placement)[0]! } : {}),
      ...(a['raw-dir'] ? { rawDir: a['raw-dir'] } : {}),
      overwrite: a.overwrite,
      ...(progress ? { onProgress: progress } : {}),
    });
  }
  return importMmecg({
    inDir: a.in,
    outDir: a.out,
    ...(a['sst-dir'] ? { sstDir: a['sst-dir'] } : {}),
    bins: a.bins,
    frames: a.frames,
    fmin: a.fmin,
    fmax: a.fmax,
    ...(a.voices !== undefined ? { voices: a.voices } : {}),
    overwrite: a.overwrite,
    ...(progress ? { onProgress: progress } : {}),
  });
}

/** Human-readable summary of a dataset: source, shapes, trials, splits, class balance. */
export function inspectDataset(dir: string, verify = false): string {
  const ds = RadarEcgDataset.open(dir);
  try {
    const m = ds.manifest;
    const out: string[] = [];
    const src = m.source;
    out.push(`${dir}: ${m.format} v${m.formatVersion}, ${src.kind}${src.kind === 'synthetic' ? ` (seed ${String(src.seed)})` : ''}, created ${m.createdAt}`);
    out.push(`fingerprint sha256 ${m.fingerprint.value}${verify ? (ds.verify().ok ? ' (verified)' : ' (MISMATCH: shards changed since the manifest was written)') : ''}`);
    out.push(
      `input ${m.shapes.input.join(' × ')} (channels × bins × frames, ${m.sst.frameRate} Hz, ${m.sst.fmin ?? '?'}–${m.sst.fmax ?? '?'} Hz, layout ${m.sst.layout}); targets: cycle ${m.shapes.ecgShape[0]} pts, PPI ${m.shapes.ppiClasses} classes, anchor ${m.shapes.anchor[0]} samples`,
    );
    out.push(`placements ${m.placements.join(', ')}; noise ${noiseLabel(m.noise.condition)} (seed ${String(m.noise.seed)}, applied at ${m.noise.appliedAt})`);
    const total = m.trials.reduce((a, t) => a + t.samples, 0) / m.fs;
    out.push(`${m.subjects.length} subjects, ${m.trials.length} trials, ${(total / 60).toFixed(1)} min`);
    out.push('');
    const head = ['trial', 'subject', 'status', 'min', 'beats', 'HR', ...m.placements.map((p) => `${p} win`), 'clamped'];
    const rows = m.trials.map((t) => [
      t.id,
      t.subject,
      t.status ?? '-',
      (t.samples / m.fs / 60).toFixed(2),
      String(t.beats),
      Number.isFinite(t.meanHrBpm) ? t.meanHrBpm.toFixed(0) : '-',
      ...m.placements.map((p) => String(t.windows[p] ?? 0)),
      String(m.placements.reduce((a, p) => a + (t.clampedCycles[p] ?? 0), 0)),
    ]);
    out.push(...table(head, rows));
    out.push('');
    const pl = m.placements[0]!;
    out.push(`splits (${pl} windows):`);
    for (const [name, s] of Object.entries(m.splits)) {
      const w = (ids: readonly string[]): number => ids.reduce((a, id) => a + (ds.trial(id).windows[pl] ?? 0), 0);
      out.push(`  ${name}: train ${s.train.length} trials / ${w(s.train)} windows, test ${s.test.length} trials / ${w(s.test)} windows — ${s.description}`);
    }
    out.push('');
    out.push(`class balance (${pl} windows): PPI = cycle length, 20-sample (100 ms) groups`);
    const groups: [string, readonly string[]][] = [['all', ds.trialIds]];
    const first = Object.entries(m.splits)[0];
    if (first) groups.push([`${first[0]}/train`, first[1].train], [`${first[0]}/test`, first[1].test]);
    for (const [label, ids] of groups) {
      const ppi = ds.ppiClasses(ids, pl);
      if (ppi.length === 0) continue;
      const len = Array.from(ppi, (c) => c + 1);
      const hist = new Map<number, number>();
      for (const l of len) hist.set(Math.floor(l / 20) * 20, (hist.get(Math.floor(l / 20) * 20) ?? 0) + 1);
      const mean = len.reduce((a, b) => a + b, 0) / len.length;
      const clamped = len.filter((l) => l >= m.shapes.ppiClasses).length;
      out.push(
        `  ${label}: n=${len.length}, length ${Math.min(...len)}–${Math.max(...len)} (mean ${mean.toFixed(1)} samples = ${((mean * 1000) / m.fs).toFixed(0)} ms), ${clamped} at the last class; ` +
          [...hist].sort((a, b) => a[0] - b[0]).map(([k, v]) => `${k}–${k + 19}: ${v}`).join(', '),
      );
    }
    const anchorsPerWindow = m.trials.reduce((a, t) => a + (t.beats * (m.window.ecgSamples / t.samples)), 0) / Math.max(1, m.trials.length);
    out.push(`  anchors: ≈ ${anchorsPerWindow.toFixed(2)} R peaks per ${m.window.ecgSamples}-sample window`);
    return out.join('\n');
  } finally {
    ds.close();
  }
}

function table(head: string[], rows: string[][]): string[] {
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((c, i) => c.padEnd(w[i]!)).join('  ').trimEnd();
  return [line(head), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)];
}

const synthCommand: CommandModule<object, SynthArgs> = {
  command: 'synth',
  describe: 'Generate a synthetic radar-ECG dataset (ECGSYN ECG, radar vibration model, SST)',
  builder: (y) =>
    y
      .option('subjects', { type: 'number', demandOption: true })
      .option('minutes', { type: 'number', demandOption: true, describe: 'recording minutes per subject' })
      .option('seed', { type: 'string', default: '0' })
      .option('out', { type: 'string', demandOption: true, describe: 'new dataset directory' })
      .option('trials-per-subject', { type: 'number', default: 1 })
      .option('channels', { type: 'number', default: 50 })
      .option('bins', { type: 'number', default: 71 })
      .option('frames', { type: 'number', default: 120, describe: 'SST frames per 4-s window (120 = 30 Hz)' })
      .option('fmin', { type: 'number', default: 1 })
      .option('fmax', { type: 'number', default: 25 })
      .option('voices', { type: 'number' })
      .option('high-pass', { type: 'number', default: DEFAULT_HIGH_PASS_HZ, describe: 'zero-phase high-pass of the radar phase before the SST, Hz (removes respiration; 0 = off)' })
      .option('placements', { type: 'string', default: 'step,rpeak' })
      .option('statuses', { type: 'string', describe: `comma list of ${TRIAL_STATUSES.join('/')}, cycled over trials (default: drawn)` })
      .option('noise', { type: 'string', default: 'clean', describe: 'clean | constant:<dB> | abrupt:mild|extensive:<s> | body-movement[:<per min>[:<mm>]] | aug_snr code' })
      .option('noise-seed', { type: 'string' })
      .option('keep-radar', { type: 'boolean', default: false, describe: 'also store the radar phase' })
      .option('overwrite', { type: 'boolean', default: false })
      .option('quiet', { type: 'boolean', default: false }) as never,
  handler: (a) => {
    const r = runSynth(a);
    const windows = r.manifest.trials.reduce((s, t) => s + (t.windows.step ?? 0), 0);
    console.log(`wrote ${a.out}: ${r.manifest.trials.length} trials, ${windows} step windows, fingerprint ${r.manifest.fingerprint.value.slice(0, 16)}… (${r.seconds.toFixed(1)} s)`);
  },
};

const importCommand: CommandModule<object, ImportArgs> = {
  command: 'import',
  describe: 'Import MMECG {ID}.mat trials (v5 or v7.3), optionally with the reference SST files, or reference data_seg_* folders',
  builder: (y) =>
    y
      .option('in', { type: 'string', demandOption: true, describe: 'directory of MMECG .mat files (or a data_seg_* directory with --segments)' })
      .option('out', { type: 'string', demandOption: true })
      .option('sst-dir', { type: 'string', describe: 'directory of SST_obj*_*_{ID}_30Hz.mat to use instead of computing the SST' })
      .option('segments', { type: 'boolean', default: false, describe: '--in is a reference data_seg_* directory (sst_seg_i/ecg_seg_i/anchor_seg_i .npy)' })
      .option('raw-dir', { type: 'string', describe: 'with --segments: directory of the raw .mat trials for the whole-recording ECG' })
      .option('placement', { type: 'string', describe: 'with --segments: step or rpeak (default from the folder name)' })
      .option('bins', { type: 'number', default: 71 })
      .option('frames', { type: 'number', default: 120 })
      .option('fmin', { type: 'number', default: 1 })
      .option('fmax', { type: 'number', default: 25 })
      .option('voices', { type: 'number' })
      .option('overwrite', { type: 'boolean', default: false })
      .option('quiet', { type: 'boolean', default: false }) as never,
  handler: async (a) => {
    const s = await runImport(a);
    console.log(`imported ${s.imported.length} trial(s) into ${a.out} in ${s.seconds.toFixed(1)} s${s.manifest ? `, fingerprint ${s.manifest.fingerprint.value.slice(0, 16)}…` : ''}`);
    for (const f of s.failed) console.log(`  FAILED ${f.file}: ${f.problem}`);
    if (!s.manifest) throw new DataError(a.in, `nothing imported (${s.failed.length} file(s) failed)`);
  },
};

const inspectCommand: CommandModule<object, InspectArgs> = {
  command: 'inspect',
  describe: 'Summarise a radar-ECG dataset: manifest, trials, splits, class balance',
  builder: (y) =>
    y
      .option('dir', { type: 'string', demandOption: true })
      .option('verify', { type: 'boolean', default: false, describe: 'recompute the shard fingerprint' })
      .option('json', { type: 'boolean', default: false, describe: 'print the manifest as JSON' }) as never,
  handler: (a) => {
    if (a.json) {
      const ds = RadarEcgDataset.open(a.dir);
      console.log(JSON.stringify(ds.manifest, null, 2));
      ds.close();
      return;
    }
    console.log(inspectDataset(a.dir, a.verify));
  },
};

export const dataRadarEcgCommand: CommandModule<object, object> = {
  command: 'radar-ecg <action>',
  describe: 'Radar-ECG datasets: synth | import | inspect',
  builder: (y: Argv) => y.command(synthCommand as never).command(importCommand as never).command(inspectCommand as never).demandCommand(1, 'Name an action: synth, import or inspect.'),
  handler: () => {},
};
