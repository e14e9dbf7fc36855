/**
 * The wasm backend on several threads in Node. tfjs-backend-wasm 4.22 ships a threaded SIMD build
 * (XNNPACK on a pthread pool) but never uses it in Node:
 *  1. its `WASM_HAS_MULTITHREAD_SUPPORT` flag is false whenever `IS_NODE`;
 *  2. the pool is capped at half of `os.cpus().length` (a guess at hyper-threading), so 1 thread
 *     on a 2-core machine;
 *  3. the pthread workers get their script as a `blob:` URL and the module factory as a Blob,
 *     neither of which `worker_threads` can load, and the factory's source refers to names of the
 *     bundle's module scope (`require$$0` = fs, ...) that do not exist in a worker. A worker also
 *     inherits the parent's `execArgv` (loaders, inspector flags).
 * For the duration of `tf.setBackend('wasm')` only, `initWasmThreads` sets the flag and the thread
 * count, lets `os.cpus()` report twice the wanted count (so the cap is the count itself), and
 * replaces `worker_threads.Worker` (which the Emscripten glue reads) with a subclass that starts
 * each pthread worker from an inline bootstrap with `execArgv: []`: it reads both Blobs, binds the
 * bundle's names and runs the original worker script unchanged. Everything is put back afterwards,
 * nothing is written to disk, and the pool's workers are unref'd so that they never keep the
 * process alive at exit (they end with it).
 */
import { resolveObjectURL } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import type * as TF from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';

/** The most threads the wasm build can use: its pool is created with 8 workers, XNNPACK's cap. */
export const MAX_WASM_THREADS = 8;

/**
 * The default thread count of a run: the cores shared out among the worker processes,
 * `max(1, floor(cores / jobs))`, at most MAX_WASM_THREADS.
 */
export function defaultThreads(jobs: number, cores: number = availableParallelism()): number {
  return Math.min(MAX_WASM_THREADS, Math.max(1, Math.floor(cores / Math.max(1, jobs))));
}

/** A `--threads` value checked: an integer from 1 to MAX_WASM_THREADS, or a ConfigError naming the field. */
export function checkThreads(value: unknown, field = '--threads'): number {
  const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new ConfigError(field, value, `an integer from 1 to ${MAX_WASM_THREADS} (threads of the wasm backend)`);
  }
  return n;
}

/** MTL_BENCH_THREADS, checked, or undefined when unset (the default then applies). */
export function envThreads(): number | undefined {
  const v = process.env.MTL_BENCH_THREADS;
  return v === undefined || v === '' ? undefined : checkThreads(v, 'MTL_BENCH_THREADS');
}

interface WasmModule {
  setThreadsCount(n: number): void;
  getThreadsCount(): number;
}

type WorkerCtor = typeof import('node:worker_threads').Worker;

const require = createRequire(import.meta.url);

/**
 * Runs in each pthread worker (as an eval'd script, so no file is needed). Messages from the
 * main thread stay queued on parentPort until the worker script has attached its listener; a
 * 'load' message carrying the factory as a Blob is completed asynchronously, and messages that
 * arrive meanwhile are replayed after it, in order.
 */
const BOOTSTRAP = `'use strict';
const { workerData } = require('node:worker_threads');
const { script, aliases, bundle } = workerData;
script.text().then((source) => {
  new Function('require', '__filename', source)(require, bundle);
  const handle = globalThis.onmessage;
  let held = null;
  globalThis.onmessage = (e) => {
    if (held) return void held.push(e);
    const d = e.data;
    if (!(d && d.cmd === 'load' && d.urlOrBlob && typeof d.urlOrBlob === 'object')) return handle(e);
    held = [];
    d.urlOrBlob.text().then((factory) => {
      const names = Object.keys(aliases);
      const make = new Function(...names, 'commonjsGlobal', '__filename', '__dirname', factory + '\\n;return WasmBackendModuleThreadedSimd;');
      globalThis.WasmBackendModuleThreadedSimd = make(...names.map((n) => require(aliases[n])), globalThis, bundle, require('node:path').dirname(bundle));
      d.urlOrBlob = bundle;
      const importScripts = globalThis.importScripts;
      globalThis.importScripts = () => {};
      try {
        handle(e);
      } finally {
        globalThis.importScripts = importScripts;
      }
      const queued = held;
      held = null;
      for (const q of queued) globalThis.onmessage(q);
    });
  };
});
`;

/** `var require$$0 = require('fs');` lines of the bundle: the names its factory's source uses. */
function bundleAliases(bundle: string): Record<string, string> {
  const text = readFileSync(bundle, 'utf8');
  return Object.fromEntries([...text.matchAll(/^var (require\$\$\d+) = require\('([^']+)'\);$/gm)].map((m) => [m[1]!, m[2]!]));
}

/**
 * Initialise the wasm backend with `threads` threads (>= 2; 1 is the plain single-threaded
 * build and needs none of this). Call instead of `tf.setBackend('wasm')`, after importing the
 * backend module; returns what setBackend returned and the pool's actual size.
 */
export async function initWasmThreads(tf: typeof TF, wasm: WasmModule, threads: number): Promise<{ ok: boolean; threads: number }> {
  const bundle = require.resolve('@tensorflow/tfjs-backend-wasm');
  const aliases = bundleAliases(bundle);
  const workerThreads = require('node:worker_threads') as { Worker: WorkerCtor };
  const os = require('node:os') as { cpus: typeof import('node:os').cpus };
  const Original = workerThreads.Worker;
  const cpus = os.cpus;
  const hadGlobal = Object.getOwnPropertyDescriptor(globalThis, 'Worker');
  const started: InstanceType<WorkerCtor>[] = [];
  class PthreadWorker extends Original {
    constructor(url: string | URL) {
      const href = String(url);
      const script = resolveObjectURL(href);
      if (!script) throw new Error(`wasm threads: the worker script ${href} is not a Blob URL`);
      URL.revokeObjectURL(href);
      super(BOOTSTRAP, { eval: true, execArgv: [], workerData: { script, aliases, bundle } });
      started.push(this);
    }
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  workerThreads.Worker = PthreadWorker;
  os.cpus = () => {
    const real = cpus();
    return Array.from({ length: 2 * threads }, (_, i) => real[i % real.length]!);
  };
  let ok: boolean;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    workerThreads.Worker = Original;
    os.cpus = cpus;
    if (hadGlobal) Object.defineProperty(globalThis, 'Worker', hadGlobal);
    else delete (globalThis as { Worker?: unknown }).Worker;
    for (const w of started) w.unref();
  }
  return { ok, threads: ok ? wasm.getThreadsCount() : 1 };
}
