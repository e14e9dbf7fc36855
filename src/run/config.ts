/**
 * The experiment specification: a typed config read from JSON/YAML or built from CLI flags,
 * validated once (unknown keys, wrong types and out-of-range values are rejected before anything
 * runs, naming the key), and expanded into the grid of runs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { canonicalLabel, checkParam } from '../../optimizers/common.js';
import { getMethod, methodPlugin } from '../../optimizers/index.js';
import type { GradMode, ParamValues, PluginRef } from '../../optimizers/types.js';
import { ConfigError, DataError, fmt } from '../errors.js';
import { resolveConfigPlugins } from '../plugins/config.js';
import { loadedPlugins } from '../plugins/load.js';
import { getTask, taskPlugin } from '../tasks/index.js';
import { noiseLabel, type NoiseCondition } from '../tasks/task.js';
import { TRIVIAL_METHOD, trivialLabel } from '../tasks/trivial.js';

type Scalar = number | string | boolean;

export interface OptimizerEntry {
  readonly method: string;
  /** A list value expands into a sweep (one run per value). */
  readonly params: Readonly<Record<string, Scalar | readonly Scalar[]>>;
}

export interface TrainingOverrides {
  readonly lr?: number;
  readonly weightDecay?: number;
}

export type Selection = 'validation' | 'test-reference';

export interface ExperimentConfig {
  readonly name: string;
  readonly task: string;
  readonly preset: string;
  readonly optimizers: readonly OptimizerEntry[];
  /** Add one single-task baseline run per task (each task trained alone on the same model). */
  readonly singleTask: boolean;
  readonly seeds: readonly number[];
  /** Override the preset's number of epochs / batch size. */
  readonly epochs?: number;
  readonly batchSize?: number;
  readonly mode: GradMode;
  readonly noise: { readonly train: NoiseCondition; readonly eval: readonly NoiseCondition[] };
  /** Best epoch on the validation split held out from training data, or (to reproduce the reference code) on the test split. */
  readonly selection: Selection;
  readonly training: TrainingOverrides;
  /** Where generated datasets are cached; a real dataset directory is given by dataPath. */
  readonly dataDir: string;
  readonly dataPath?: string;
  /** Record the task's trivial predictors beside the trained runs (default true). */
  readonly trivial: boolean;
  /** The task's evaluation protocol (default: the task's first, e.g. radar-ecg's `leak-free`). */
  readonly evaluation?: string;
  /** The plugin modules whose methods or task the experiment uses (absent when none). */
  readonly plugins?: readonly PluginRef[];
}

/** One cell of the grid. */
export interface RunSpec {
  /** Stable identity of the run (hash of everything that defines its numbers). */
  readonly key: string;
  /** Row label: the method's canonical label, or `STL(task)` for a single-task baseline. */
  readonly label: string;
  readonly task: string;
  readonly preset: string;
  readonly method: string;
  readonly params: ParamValues;
  /** Index of the only trained task for a single-task baseline, else null. */
  readonly singleTask: number | null;
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly mode: GradMode;
  readonly trainNoise: NoiseCondition;
  readonly evalNoise: readonly NoiseCondition[];
  readonly selection: Selection;
  readonly training: TrainingOverrides;
  readonly dataPath?: string;
  /** Evaluation protocol, present only when it is not the task's default. */
  readonly evaluation?: string;
  /** The plugin modules of this run's method and task (absent for built-ins); only their hashes enter the key. */
  readonly plugins?: readonly PluginRef[];
}

const TOP_KEYS = ['name', 'task', 'preset', 'optimizers', 'singleTask', 'seeds', 'epochs', 'batchSize', 'mode', 'noise', 'selection', 'training', 'dataDir', 'dataPath', 'trivial', 'evaluation', 'plugins'] as const;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function only(obj: Record<string, unknown>, allowed: readonly string[], path: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw new ConfigError(path ? `${path}.${k}` : k, obj[k], `no such key (allowed: ${allowed.join(', ')})`);
}

function int(v: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw new ConfigError(path, v, `an integer in [${min}, ${max}]`);
  return v;
}

function num(v: unknown, path: string, check: (x: number) => boolean, expected: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || !check(v)) throw new ConfigError(path, v, expected);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(path, v, 'a non-empty string');
  return v;
}

export function parseNoise(v: unknown, path: string): NoiseCondition {
  if (v === 'clean' || v === undefined || v === null) return { kind: 'clean' };
  if (typeof v === 'string') {
    const snr = /^snr(-?\d+(?:\.\d+)?)(?:db)?$/i.exec(v);
    if (snr) return { kind: 'snr', db: Number(snr[1]) };
    const ab = /^abrupt(\d+(?:\.\d+)?)s@(-?\d+(?:\.\d+)?)(?:db)?$/i.exec(v);
    if (ab) return { kind: 'abrupt', seconds: Number(ab[1]), db: Number(ab[2]) };
    throw new ConfigError(path, v, '"clean", "snr<dB>" (e.g. snr-3) or "abrupt<s>s@<dB>" (e.g. abrupt2s@-9)');
  }
  if (!isObj(v)) throw new ConfigError(path, v, 'a noise condition');
  const kind = v.kind;
  if (kind === 'clean') {
    only(v, ['kind'], path);
    return { kind: 'clean' };
  }
  if (kind === 'snr') {
    only(v, ['kind', 'db'], path);
    return { kind: 'snr', db: num(v.db, `${path}.db`, (x) => x >= -30 && x <= 60, 'a number of dB in [-30, 60]') };
  }
  if (kind === 'abrupt') {
    only(v, ['kind', 'seconds', 'db', 'fraction'], path);
    const c: NoiseCondition = {
      kind: 'abrupt',
      seconds: num(v.seconds, `${path}.seconds`, (x) => x > 0 && x <= 4, 'a duration in (0, 4] seconds'),
      db: num(v.db, `${path}.db`, (x) => x >= -30 && x <= 60, 'a number of dB in [-30, 60]'),
      ...(v.fraction !== undefined ? { fraction: num(v.fraction, `${path}.fraction`, (x) => x > 0 && x <= 1, 'a fraction in (0, 1]') } : {}),
    };
    return c;
  }
  throw new ConfigError(`${path}.kind`, kind, '"clean", "snr" or "abrupt"');
}

function parseOptimizer(v: unknown, path: string): OptimizerEntry {
  if (typeof v === 'string') {
    getMethodAt(v, path);
    return { method: v, params: {} };
  }
  if (!isObj(v)) throw new ConfigError(path, v, 'a method name or {method, params}');
  only(v, ['method', 'params'], path);
  const method = str(v.method, `${path}.method`);
  const def = getMethodAt(method, `${path}.method`);
  const params: Record<string, Scalar | Scalar[]> = {};
  if (v.params !== undefined) {
    if (!isObj(v.params)) throw new ConfigError(`${path}.params`, v.params, 'an object of hyperparameters');
    for (const [k, val] of Object.entries(v.params)) {
      const spec = def.params[k];
      const p = `${path}.params.${k}`;
      if (!spec) throw new ConfigError(p, val, `a parameter of ${def.displayName} (${Object.keys(def.params).join(', ') || 'none'})`);
      const values = Array.isArray(val) ? val : [val];
      if (values.length === 0) throw new ConfigError(p, val, 'a value or a non-empty list of values');
      // A warm-up epoch may be `auto`: sized to the run's length when the grid is expanded.
      values.forEach((x, i) => (spec.warmup && x === AUTO ? undefined : checkParam(Array.isArray(val) ? `${p}[${i}]` : p, x, spec)));
      params[k] = Array.isArray(val) ? (val as Scalar[]) : (val as Scalar);
    }
  }
  return { method, params };
}

function getMethodAt(name: string, path: string) {
  try {
    return getMethod(name);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(path, name, e.expected);
    throw e;
  }
}

/** Validate a raw config object (from a file or flags). */
export function validateConfig(raw: unknown, source = 'config'): ExperimentConfig {
  if (!isObj(raw)) throw new ConfigError(source, raw, 'an object');
  only(raw, TOP_KEYS, '');
  const task = getTaskAt(str(raw.task, 'task'));
  const preset = raw.preset === undefined ? (task.presets.find((p) => !p.paperScale)?.name ?? task.presets[0]!.name) : str(raw.preset, 'preset');
  if (!task.presets.some((p) => p.name === preset)) throw new ConfigError('preset', preset, `one of ${task.presets.map((p) => p.name).join(', ')} for task ${task.id}`);
  if (!Array.isArray(raw.optimizers)) throw new ConfigError('optimizers', raw.optimizers, 'a list of methods');
  const optimizers = raw.optimizers.map((o, i) => parseOptimizer(o, `optimizers[${i}]`));
  const seeds = raw.seeds === undefined ? [0] : Array.isArray(raw.seeds) ? raw.seeds.map((s, i) => int(s, `seeds[${i}]`, 0, 2 ** 31 - 1)) : [int(raw.seeds, 'seeds', 0, 2 ** 31 - 1)];
  if (seeds.length === 0) throw new ConfigError('seeds', raw.seeds, 'at least one seed');
  if (new Set(seeds).size !== seeds.length) throw new ConfigError('seeds', raw.seeds, 'distinct seeds');
  const mode = raw.mode === undefined ? 'param' : raw.mode;
  if (mode !== 'param' && mode !== 'rep') throw new ConfigError('mode', mode, '"param" or "rep"');
  const selection = raw.selection === undefined ? 'validation' : raw.selection;
  if (selection !== 'validation' && selection !== 'test-reference') throw new ConfigError('selection', selection, '"validation" or "test-reference"');
  let noise: ExperimentConfig['noise'] = { train: { kind: 'clean' }, eval: [{ kind: 'clean' }] };
  if (raw.noise !== undefined) {
    if (!isObj(raw.noise)) throw new ConfigError('noise', raw.noise, 'an object {train, eval}');
    only(raw.noise, ['train', 'eval'], 'noise');
    const evalRaw = raw.noise.eval === undefined ? ['clean'] : Array.isArray(raw.noise.eval) ? raw.noise.eval : [raw.noise.eval];
    noise = { train: parseNoise(raw.noise.train, 'noise.train'), eval: evalRaw.map((e, i) => parseNoise(e, `noise.eval[${i}]`)) };
    for (const [i, c] of [noise.train, ...noise.eval].entries()) {
      if (!task.noiseKinds.includes(c.kind)) throw new ConfigError(i === 0 ? 'noise.train' : `noise.eval[${i - 1}]`, noiseLabel(c), `a condition task ${task.id} supports (${task.noiseKinds.join(', ')})`);
    }
  }
  let training: TrainingOverrides = {};
  if (raw.training !== undefined) {
    if (!isObj(raw.training)) throw new ConfigError('training', raw.training, 'an object {lr, weightDecay}');
    only(raw.training, ['lr', 'weightDecay'], 'training');
    training = {
      ...(raw.training.lr !== undefined ? { lr: num(raw.training.lr, 'training.lr', (x) => x > 0 && x < 10, 'a learning rate in (0, 10)') } : {}),
      ...(raw.training.weightDecay !== undefined ? { weightDecay: num(raw.training.weightDecay, 'training.weightDecay', (x) => x >= 0 && x < 1, 'a weight decay in [0, 1)') } : {}),
    };
  }
  const singleTask = raw.singleTask === undefined ? false : raw.singleTask;
  if (typeof singleTask !== 'boolean') throw new ConfigError('singleTask', singleTask, 'true or false');
  if (optimizers.length === 0 && !singleTask) throw new ConfigError('optimizers', raw.optimizers, 'at least one method (or singleTask: true)');
  const trivial = raw.trivial === undefined ? true : raw.trivial;
  if (typeof trivial !== 'boolean') throw new ConfigError('trivial', trivial, 'true or false');
  let evaluation: string | undefined;
  if (raw.evaluation !== undefined) {
    const allowed = task.evaluations ?? [];
    evaluation = str(raw.evaluation, 'evaluation');
    if (!allowed.includes(evaluation)) throw new ConfigError('evaluation', evaluation, allowed.length > 0 ? `one of ${allowed.join(', ')} for task ${task.id}` : `no evaluation option (task ${task.id} has one protocol)`);
    if (evaluation === allowed[0]) evaluation = undefined;
  }
  const plugins = usedPlugins(raw.plugins, task.id, optimizers);
  return {
    name: raw.name === undefined ? `${task.id}-${preset}` : str(raw.name, 'name'),
    task: task.id,
    preset,
    optimizers,
    singleTask,
    seeds,
    ...(raw.epochs !== undefined ? { epochs: int(raw.epochs, 'epochs', 1, 100000) } : {}),
    ...(raw.batchSize !== undefined ? { batchSize: int(raw.batchSize, 'batchSize', 1, 100000) } : {}),
    mode,
    noise,
    selection,
    training,
    dataDir: raw.dataDir === undefined ? 'data' : str(raw.dataDir, 'dataDir'),
    ...(raw.dataPath !== undefined ? { dataPath: str(raw.dataPath, 'dataPath') } : {}),
    trivial,
    ...(evaluation !== undefined ? { evaluation } : {}),
    ...(plugins.length ? { plugins } : {}),
  };
}

/** Listed plugins must be loaded already (see resolveConfigPlugins); the config records those its task and methods come from. */
function usedPlugins(listed: unknown, task: string, optimizers: readonly OptimizerEntry[]): PluginRef[] {
  if (listed !== undefined) {
    if (!Array.isArray(listed)) throw new ConfigError('plugins', listed, 'a list of module paths');
    listed.forEach((p, i) => {
      const path = typeof p === 'string' ? p : typeof p === 'object' && p !== null ? (p as { path?: unknown }).path : undefined;
      if (typeof path !== 'string' || !loadedPlugins().some((l) => l.path === resolve(path))) throw new ConfigError(`plugins[${i}]`, p, 'a plugin module loaded before validation (mtl-bench run --config, --plugin and runExperiment load them)');
    });
  }
  const refs = [taskPlugin(task), ...optimizers.map((o) => methodPlugin(getMethod(o.method).id))].filter((r): r is PluginRef => r !== undefined);
  return refs.filter((r, i) => refs.findIndex((x) => x.path === r.path) === i).map((r) => ({ path: r.path, sha256: r.sha256 }));
}

function getTaskAt(id: string) {
  try {
    return getTask(id);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError('task', id, e.expected);
    throw e;
  }
}

export function loadConfigFile(file: string): ExperimentConfig {
  return validateFileConfig(readConfigFile(file), file);
}

/** Read an experiment file and load the plugins it names (relative to the file), then validate it. */
export async function loadConfigFileWithPlugins(file: string): Promise<ExperimentConfig> {
  const raw = readConfigFile(file);
  if (typeof raw === 'object' && raw !== null && !Array.isArray(raw)) {
    try {
      await resolveConfigPlugins(raw as Record<string, unknown>, dirname(resolve(file)));
    } catch (e) {
      if (e instanceof ConfigError) throw new DataError(file, e.message);
      throw e;
    }
  }
  return validateFileConfig(raw, file);
}

function validateFileConfig(raw: unknown, file: string): ExperimentConfig {
  try {
    return validateConfig(raw, file);
  } catch (e) {
    if (e instanceof ConfigError) throw new DataError(file, e.message);
    throw e;
  }
}

/** The parsed content of a JSON or YAML experiment file (not validated). */
export function readConfigFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new DataError(file, `cannot read: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? parseYaml(text) : JSON.parse(text);
  } catch (e) {
    throw new DataError(file, `not valid ${/\.ya?ml$/i.test(file) ? 'YAML' : 'JSON'}: ${(e as Error).message.split('\n', 1)[0]}`);
  }
  return raw;
}

/** Cartesian product of the list-valued parameters of one optimizer entry. */
export function expandParams(entry: OptimizerEntry): Record<string, Scalar>[] {
  let out: Record<string, Scalar>[] = [{}];
  for (const [k, v] of Object.entries(entry.params)) {
    const values = Array.isArray(v) ? (v as Scalar[]) : [v as Scalar];
    out = out.flatMap((o) => values.map((x) => ({ ...o, [k]: x })));
  }
  return out;
}

function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (isObj(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** The value of a warm-up parameter that follows the run's length. */
export const AUTO = 'auto';

/**
 * The warm-up epoch W of EGA and STCH for a run of `epochs` epochs (epochs 0..W are the warm-up):
 * the reference's 4 when the run is long (200 epochs in the paper), otherwise short enough that
 * the warm-up is at most a quarter of the run. What `warmupEpoch: auto` resolves to.
 */
export function warmupFor(epochs: number): number {
  return Math.min(4, Math.max(0, Math.floor(epochs / 4) - 1));
}

/** Resolve `auto` warm-ups of one parameter combination for a run of `epochs` epochs. */
function resolveAuto(def: ReturnType<typeof getMethod>, p: Record<string, Scalar>, epochs: number): Record<string, Scalar> {
  const out = { ...p };
  for (const [k, spec] of Object.entries(def.params)) if (spec.warmup && out[k] === AUTO) out[k] = warmupFor(epochs);
  return out;
}

/**
 * Warm-up parameters (`warmup: true` in the method's parameter spec, e.g. EGA's and STCH's
 * `warmupEpoch` W: epochs 0..W are the warm-up) must leave at least one epoch of the run after
 * them; a value that does not is rejected naming the parameter.
 */
function checkWarmups(entry: OptimizerEntry, epochs: number, path: string): void {
  const def = getMethod(entry.method);
  for (const [k, spec] of Object.entries(def.params)) {
    if (!spec.warmup) continue;
    const given = entry.params[k];
    const values = given === undefined ? [def.defaults[k]] : Array.isArray(given) ? given : [given];
    values.forEach((v, i) => {
      if (typeof v === 'number' && v + 1 >= epochs) {
        const at = given === undefined ? `${path}.params.${k} (default)` : Array.isArray(given) ? `${path}.params.${k}[${i}]` : `${path}.params.${k}`;
        throw new ConfigError(at, v, `a warm-up that ends before the run does: at most ${epochs - 2} for a ${epochs}-epoch run (epochs 0..${k} are the warm-up)`);
      }
    });
  }
}

/** `{ plugins }` of a run whose task or method came from a plugin, else nothing. */
function pluginsOf(task: string, method?: string): { plugins?: PluginRef[] } {
  const refs = [taskPlugin(task), method === undefined ? undefined : methodPlugin(method)].filter((r): r is PluginRef => r !== undefined);
  return refs.length ? { plugins: refs.map((r) => ({ path: r.path, sha256: r.sha256 })) } : {};
}

/** Expand the config into its runs, in a deterministic order. */
export function expandGrid(cfg: ExperimentConfig): RunSpec[] {
  const task = getTask(cfg.task);
  const defaults = task.training(cfg.preset);
  const epochs = cfg.epochs ?? defaults.epochs;
  const batchSize = cfg.batchSize ?? defaults.batchSize;
  const cells: Omit<RunSpec, 'key'>[] = [];
  const base = {
    task: cfg.task,
    preset: cfg.preset,
    epochs,
    batchSize,
    trainNoise: cfg.noise.train,
    evalNoise: cfg.noise.eval,
    selection: cfg.selection,
    training: cfg.training,
    ...(cfg.dataPath ? { dataPath: cfg.dataPath } : {}),
    ...(cfg.evaluation ? { evaluation: cfg.evaluation } : {}),
  };
  // A non-default evaluation protocol is part of every row's label, so its numbers are never mixed with the default's.
  const suffix = cfg.evaluation ? ` [${cfg.evaluation} eval]` : '';
  cfg.optimizers.forEach((entry, i) => checkWarmups(entry, epochs, `optimizers[${i}]`));
  for (const seed of cfg.seeds) {
    if (cfg.trivial) {
      for (const d of task.trivialPredictors ?? []) cells.push({ ...base, label: trivialLabel(d) + suffix, method: TRIVIAL_METHOD, params: { predictor: d.id }, singleTask: null, seed, mode: 'param', ...pluginsOf(cfg.task) });
    }
    if (cfg.singleTask) {
      task.taskNames.forEach((name, t) => cells.push({ ...base, label: `STL(${name})${suffix}`, method: 'single-task', params: {}, singleTask: t, seed, mode: 'param', ...pluginsOf(cfg.task) }));
    }
    for (const entry of cfg.optimizers) {
      const def = getMethod(entry.method);
      for (const p of expandParams(entry)) {
        const full = { ...def.defaults, ...resolveAuto(def, p, epochs) } as ParamValues;
        const mode = def.kind === 'loss-weighting' ? 'param' : def.capabilities.requiresRep ? 'rep' : cfg.mode;
        if (mode === 'rep' && !def.capabilities.repMode) throw new ConfigError(`optimizers (${def.displayName})`, 'rep', 'param mode (this method has no representation-gradient mode)');
        cells.push({ ...base, label: canonicalLabel(def, full) + (mode === 'rep' && def.kind === 'gradient-aggregation' && !def.capabilities.requiresRep ? ' [rep]' : '') + suffix, method: def.id, params: full, singleTask: null, seed, mode, ...pluginsOf(cfg.task, def.id) });
      }
    }
  }
  const seen = new Map<string, string>();
  return cells.map((c) => {
    // A plugin enters the key by its content, not its path: moving the project keeps the runs.
    const key = createHash('sha256').update(stable(c.plugins ? { ...c, plugins: c.plugins.map((p) => p.sha256) } : c)).digest('hex').slice(0, 20);
    if (seen.has(key)) throw new ConfigError('optimizers', c.label, `distinct runs (${c.label}, seed ${c.seed} appears twice)`);
    seen.set(key, c.label);
    return { key, ...c };
  });
}

/** `--shard K/N`: the runs whose position in key order is ≡ K−1 (mod N). */
export function shardRuns(runs: readonly RunSpec[], shard: string | undefined): RunSpec[] {
  if (!shard) return [...runs];
  const m = /^(\d+)\/(\d+)$/.exec(shard);
  const k = m ? Number(m[1]) : NaN;
  const n = m ? Number(m[2]) : NaN;
  if (!(n >= 1 && k >= 1 && k <= n)) throw new ConfigError('shard', shard, 'K/N with 1 <= K <= N, e.g. 2/4');
  const sorted = [...runs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return sorted.filter((_, i) => i % n === k - 1);
}

export { fmt };
