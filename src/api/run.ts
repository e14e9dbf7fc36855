/** Running an experiment from a config object, as `mtl-bench run --config` does. */
import { validateConfig, expandGrid, type ExperimentConfig, type RunSpec } from '../run/config.js';
import { runGrid, type GridResult } from '../run/orchestrate.js';
import { presetConfigs, presetNames } from '../run/presets.js';
import { resolveConfigPlugins } from '../plugins/config.js';
import type { BackendChoice } from '../tf/backend.js';
import { checkThreads } from '../tf/wasm-threads.js';

export interface RunOptions {
  /** The SQLite record (default results.sqlite); re-running resumes. */
  readonly db?: string;
  /** Worker processes (default 1: in this process). */
  readonly jobs?: number;
  readonly backend?: BackendChoice;
  /** Threads of the wasm backend per process, 1-8 (default: MTL_BENCH_THREADS, else the cores divided by the processes started). */
  readonly threads?: number;
  /** Plugin modules to load besides those the config names. */
  readonly plugins?: readonly string[];
  /** Directory that relative plugin paths in the config are resolved against (default: the working directory). */
  readonly baseDir?: string;
  /** Progress lines (default: console.log). */
  readonly log?: (line: string) => void;
}

/** Load the plugins a config names and validate it (a ConfigError or PluginError names what is wrong). */
export async function prepareExperiment(config: object, opts: Pick<RunOptions, 'plugins' | 'baseDir'> = {}): Promise<ExperimentConfig> {
  const raw = JSON.parse(JSON.stringify(config)) as Record<string, unknown>;
  await resolveConfigPlugins(raw, opts.baseDir ?? process.cwd(), opts.plugins ?? []);
  return validateConfig(raw, 'config');
}

/** Validate the config, then run (or resume) its grid into the record. */
export async function runExperiment(config: object, opts: RunOptions = {}): Promise<GridResult & { readonly config: ExperimentConfig; readonly db: string }> {
  const cfg = await prepareExperiment(config, opts);
  const db = opts.db ?? 'results.sqlite';
  const threads = opts.threads === undefined ? {} : { threads: checkThreads(opts.threads, 'threads') };
  const r = await runGrid(cfg, { dbFile: db, jobs: opts.jobs ?? 1, backend: opts.backend ?? 'auto', ...threads, tty: false, ...(opts.log ? { log: opts.log } : {}) });
  return { ...r, config: cfg, db };
}

export { expandGrid, presetConfigs, presetNames, validateConfig, type ExperimentConfig, type GridResult, type RunSpec };
