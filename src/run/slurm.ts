/**
 * Slurm scripts for a sharded experiment: a job array with one task per shard (`run --shard K/N`
 * into DIR/shard-K.sqlite, checkpoints beside it), a merge job that combines the shards into
 * DIR/all.sqlite and renders DIR/report.html, and submit.sh that submits both with the merge job
 * depending on the array (afterok). Plain bash a person can read and edit; every path absolute.
 */
import { ConfigError } from '../errors.js';

export interface SlurmOptions {
  /** The shared directory: records, checkpoints, data cache, logs and the scripts. Absolute. */
  readonly dir: string;
  readonly shards: number;
  /** Arguments of `mtl-bench run` that select the experiment (no --shard, --db, --jobs). */
  readonly runArgs: readonly string[];
  readonly node: string;
  readonly bin: string;
  readonly jobName: string;
  readonly cpusPerTask: number;
  /** Worker processes per task (`run --jobs`). */
  readonly jobs: number;
  readonly mem?: string;
  readonly gpus: number;
  readonly time?: string;
  readonly partition?: string;
  readonly account?: string;
  /** At most this many array tasks at once (`--array=1-N%M`). */
  readonly maxRunning?: number;
}

export interface SlurmScripts {
  readonly shards: string;
  readonly merge: string;
  readonly submit: string;
}

const NAME = /^[A-Za-z0-9_.,+-]+$/;
const TIME = /^(?:\d+|\d+:\d{1,2}|\d+:\d{1,2}:\d{1,2}|\d+-\d+|\d+-\d+:\d{1,2}|\d+-\d+:\d{1,2}:\d{1,2}|UNLIMITED|INFINITE)$/;

/** Reject values Slurm would refuse (or that could not be written safely into a script); the message names the option. */
export function validateSlurmOptions(o: SlurmOptions): void {
  const posInt = (field: string, v: number | undefined, min: number): void => {
    if (v !== undefined && !(Number.isInteger(v) && v >= min)) throw new ConfigError(field, Number.isNaN(v) ? 'not a number' : v, `an integer >= ${min}`);
  };
  posInt('--shards', o.shards, 1);
  posInt('--cpus-per-task', o.cpusPerTask, 1);
  posInt('--jobs', o.jobs, 1);
  posInt('--gpus', o.gpus, 0);
  posInt('--max-running', o.maxRunning, 1);
  if (o.mem !== undefined && !/^[1-9]\d*[KMGT]?$/i.test(o.mem)) throw new ConfigError('--mem', o.mem, 'a size such as 4G, 500M or 16000 (megabytes)');
  if (o.time !== undefined && !TIME.test(o.time)) throw new ConfigError('--time', o.time, 'a Slurm time limit: MM, HH:MM:SS, D-HH or D-HH:MM:SS');
  for (const [field, v] of [['--partition', o.partition], ['--account', o.account], ['--job-name', o.jobName]] as const) {
    if (v !== undefined && !NAME.test(v)) throw new ConfigError(field, v, 'letters, digits and _ . , + -');
  }
  if (!o.dir.startsWith('/') || /[\n'"$`\\]/.test(o.dir)) throw new ConfigError('--dir', o.dir, 'an absolute path without quotes, $, ` or backslashes');
}

/** A word for bash: bare when it is safe, otherwise single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function header(o: SlurmOptions, lines: string[]): string[] {
  return [
    ...lines,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.account ? [`#SBATCH --account=${o.account}`] : []),
    ...(o.mem ? [`#SBATCH --mem=${o.mem}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
  ];
}

function paths(o: SlurmOptions): string[] {
  return [`DIR=${shellWord(o.dir)}`, `NODE=${shellWord(o.node)}`, `MTL_BENCH=${shellWord(o.bin)}`];
}

export function slurmScripts(o: SlurmOptions): SlurmScripts {
  validateSlurmOptions(o);
  const runArgs = o.runArgs.map(shellWord).join(' ');
  const shards = [
    '#!/bin/bash',
    `# mtl-bench: one Slurm array task per shard of the experiment (${o.shards} shards).`,
    '# Each task runs its slice of the grid into $DIR/shard-K.sqlite; its checkpoints go to',
    '# $DIR/shard-K.sqlite.checkpoints/. Running a task again (requeue, resubmission) skips the completed',
    '# runs and continues an interrupted one from its last checkpoint.',
    '# Submit with: bash submit.sh   Resubmit shard 3 alone: bash submit.sh 3',
    ...header(o, [
      `#SBATCH --job-name=${o.jobName}`,
      `#SBATCH --array=1-${o.shards}${o.maxRunning ? `%${o.maxRunning}` : ''}`,
      `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
      ...(o.gpus > 0 ? [`#SBATCH --gres=gpu:${o.gpus}`] : []),
    ]),
    '#SBATCH --requeue',
    '#SBATCH --open-mode=append',
    `#SBATCH --output=${o.dir}/logs/shard-%a.log`,
    'set -uo pipefail',
    '',
    ...paths(o),
    `SHARDS=${o.shards}   # fixed here, so that a task resubmitted alone keeps its slice`,
    'K=$SLURM_ARRAY_TASK_ID   # array task ids are the shard numbers, 1 to $SHARDS',
    '',
    'echo "shard $K/$SHARDS on $(hostname), $(date)"',
    `"$NODE" "$MTL_BENCH" run ${runArgs} \\`,
    `  --jobs ${o.jobs} --shard "$K/$SHARDS" --db "$DIR/shard-$K.sqlite"`,
    'status=$?',
    '# Exit 1 means some runs ended as errored (e.g. diverged): they are recorded, so the merge still runs.',
    'if [ "$status" -eq 1 ]; then exit 0; fi',
    'exit "$status"',
    '',
  ].join('\n');
  const merge = [
    '#!/bin/bash',
    '# mtl-bench: merge the shards into $DIR/all.sqlite and render $DIR/report.html.',
    '# Submitted by submit.sh to start when every shard task has succeeded (--dependency=afterok).',
    ...header(o, [`#SBATCH --job-name=${o.jobName}-merge`, '#SBATCH --cpus-per-task=1']),
    '#SBATCH --open-mode=append',
    `#SBATCH --output=${o.dir}/logs/merge.log`,
    'set -euo pipefail',
    '',
    ...paths(o),
    `SHARDS=${o.shards}`,
    '',
    'shards=()',
    'for k in $(seq 1 "$SHARDS"); do shards+=("$DIR/shard-$k.sqlite"); done',
    '"$NODE" "$MTL_BENCH" merge "${shards[@]}" --into "$DIR/all.sqlite"',
    '"$NODE" "$MTL_BENCH" report html --db "$DIR/all.sqlite" --out "$DIR/report.html"',
    '',
  ].join('\n');
  const submit = [
    '#!/bin/bash',
    '# bash submit.sh         submit every shard, then the merge job (it starts when all shards succeed)',
    '# bash submit.sh 2 4     resubmit shards 2 and 4 (after a cancel or a failure) and a new merge job,',
    '#                        which also waits for the unfinished tasks of earlier submissions',
    'set -euo pipefail',
    `DIR=${shellWord(o.dir)}`,
    'mkdir -p "$DIR/logs"',
    'touch "$DIR/jobs.txt"',
    'idx=()',
    'for k in "$@"; do',
    `  if ! [[ "$k" =~ ^[0-9]+$ ]] || [ "$k" -lt 1 ] || [ "$k" -gt ${o.shards} ]; then echo "submit.sh: shard $k: expected a number from 1 to ${o.shards}" >&2; exit 2; fi`,
    '  idx+=("$k")',
    'done',
    'array=()',
    'if [ ${#idx[@]} -gt 0 ]; then array=("--array=$(IFS=,; echo "${idx[*]}")"); fi',
    'after=()',
    'while read -r kind id; do',
    '  # An earlier merge job can no longer start once one of its shards was cancelled or failed: replace it.',
    '  if [ "$kind" = merge ]; then scancel "$id" 2>/dev/null || true; fi',
    '  if [ "$kind" = shards ] && [ -n "$(squeue -h -j "$id" -o %i 2>/dev/null | head -n 1)" ]; then after+=("afterany:$id"); fi',
    'done < "$DIR/jobs.txt"',
    'shards=$(sbatch --parsable "${array[@]}" "$DIR/shards.sbatch")',
    'shards=${shards%%;*}',
    'echo "shards $shards" >> "$DIR/jobs.txt"',
    'dep=$(IFS=,; echo "afterok:$shards${after[*]:+,${after[*]}}")',
    'merge=$(sbatch --parsable --dependency="$dep" "$DIR/merge.sbatch")',
    'merge=${merge%%;*}',
    'echo "merge $merge" >> "$DIR/jobs.txt"',
    'echo "submitted the shards as job $shards and the merge as job $merge (after $dep)"',
    '',
  ].join('\n');
  return { shards, merge, submit };
}
