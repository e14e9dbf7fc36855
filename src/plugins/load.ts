/**
 * Plugins: modules (.js, .mjs or .ts) of the user's that export method definitions (the shape of
 * optimizers/types.ts MethodDefinition) or task definitions (src/tasks/task.ts TaskDefinition).
 * Each export is checked like a built-in (a method also runs a probe on synthetic inputs) and
 * registered; every run that uses it records the module's path and sha256. Anything wrong is a
 * PluginError naming the module, raised before a run starts.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { registerMethod } from '../../optimizers/index.js';
import type { PluginRef } from '../../optimizers/types.js';
import { ConfigError, PluginError } from '../errors.js';
import { registerTask } from '../tasks/index.js';
import { checkMethodShape, ExportProblem, probeMethod } from './check-method.js';
import { checkTaskShape } from './check-task.js';

export type { PluginRef } from '../../optimizers/types.js';

export interface LoadedPlugin extends PluginRef {
  /** Ids of the methods and tasks the module registered. */
  readonly methods: readonly string[];
  readonly tasks: readonly string[];
}

const EXTENSIONS = ['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts'];
const loaded = new Map<string, LoadedPlugin>();

/** The plugins loaded in this process, by absolute path. */
export function loadedPlugins(): readonly LoadedPlugin[] {
  return [...loaded.values()];
}

/** Import a module; TypeScript through tsx (loaded only then), whatever the package type around the file. */
async function importModule(url: string, ts: boolean): Promise<Record<string, unknown>> {
  if (!ts) return (await import(url)) as Record<string, unknown>;
  const { tsImport } = await import('tsx/esm/api');
  return (await tsImport(url, import.meta.url)) as Record<string, unknown>;
}

/** One line from an import failure: the message, with the line of a syntax error when the stack names it. */
function importProblem(e: unknown, url: string): string {
  const err = e as Error;
  const lines = String(err?.message ?? e).split('\n').map((l) => l.trim()).filter(Boolean);
  let msg = lines.length > 1 && /^Transform failed/.test(lines[0]!) ? lines.slice(1, 2).join(' ') : (lines[0] ?? 'unknown error');
  msg = msg.split(url).join('').replace(/^[^:\s]*\.(m?[jt]s|c[jt]s):/, 'line ');
  const at = typeof err?.stack === 'string' ? new RegExp(`^${url.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:(\\d+)`).exec(err.stack) : null;
  const syntax = err?.name === 'SyntaxError' || err?.name === 'TransformError';
  return `${syntax ? 'syntax error' : 'failed to load'}${at ? ` at line ${at[1]}` : ''}: ${msg}`;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const looksLikeMethod = (v: Record<string, unknown>): boolean => 'create' in v || v.kind === 'loss-weighting' || v.kind === 'gradient-aggregation';
const looksLikeTask = (v: Record<string, unknown>): boolean => 'prepareData' in v || 'createModel' in v || 'taskNames' in v;

/**
 * Load a plugin module (a path relative to baseDir), check and register what it exports. Loading
 * the same file again returns the first result.
 */
export async function loadPlugin(file: string, baseDir = process.cwd()): Promise<LoadedPlugin> {
  const path = resolve(baseDir, file);
  const known = loaded.get(path);
  if (known) return known;
  const ext = extname(path).toLowerCase();
  if (!EXTENSIONS.includes(ext)) throw new PluginError(file, `expected a .js, .mjs or .ts module, got ${ext ? `a ${ext} file` : 'no extension'}`);
  let text: Buffer;
  try {
    text = readFileSync(path);
  } catch (e) {
    throw new PluginError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  const url = pathToFileURL(path).href;
  let mod: Record<string, unknown>;
  try {
    mod = await importModule(url, /^\.[mc]?ts$/.test(ext));
  } catch (e) {
    throw new PluginError(file, importProblem(e, url));
  }
  const found: { name: string; value: Record<string, unknown> }[] = [];
  for (const [name, value] of Object.entries(mod)) {
    const items = Array.isArray(value) ? value.map((v, i) => ({ name: `${name}[${i}]`, value: v as unknown })) : [{ name, value: value as unknown }];
    for (const it of items) if (isObj(it.value) && (looksLikeMethod(it.value) || looksLikeTask(it.value))) found.push({ name: it.name, value: it.value });
  }
  if (found.length === 0) {
    throw new PluginError(file, 'exports no method or task definition (expected an export shaped like a built-in: a method {id, displayName, kind, defaults, params, capabilities, create} or a task {id, displayName, taskNames, metrics, presets, noiseKinds, training, prepareData, createModel, lossFn})');
  }
  const ref: PluginRef = { path, sha256 };
  const methods: string[] = [];
  const tasks: string[] = [];
  // Check everything before registering anything: a module is taken whole or not at all.
  const checked = found.map(({ name, value }) => {
    try {
      if (looksLikeTask(value) && !looksLikeMethod(value)) return { name, task: checkTaskShape(value) };
      const def = checkMethodShape(value);
      probeMethod(def);
      return { name, method: def };
    } catch (e) {
      if (e instanceof ExportProblem) throw new PluginError(file, `export ${name}: ${e.message}`);
      throw e;
    }
  });
  try {
    for (const c of checked) {
      if (c.method) {
        registerMethod(c.method, ref);
        methods.push(c.method.id);
      } else if (c.task) {
        registerTask(c.task, ref);
        tasks.push(c.task.id);
      }
    }
  } catch (e) {
    if (e instanceof ConfigError) throw new PluginError(file, e.message);
    throw e;
  }
  const result: LoadedPlugin = { path, sha256, methods, tasks };
  loaded.set(path, result);
  return result;
}

/** Load several plugins in order. */
export async function loadPlugins(files: readonly string[], baseDir = process.cwd()): Promise<LoadedPlugin[]> {
  const out: LoadedPlugin[] = [];
  for (const f of files) out.push(await loadPlugin(f, baseDir));
  return out;
}

/** In a worker or on resume: load recorded plugins and check that their content has not changed. */
export async function loadRecordedPlugins(refs: readonly PluginRef[] | undefined): Promise<void> {
  for (const r of refs ?? []) {
    const p = await loadPlugin(r.path);
    if (p.sha256 !== r.sha256) throw new PluginError(r.path, `content changed since the experiment was set up (sha256 ${p.sha256.slice(0, 12)}…, recorded ${r.sha256.slice(0, 12)}…)`);
  }
}
