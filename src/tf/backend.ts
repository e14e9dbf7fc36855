/**
 * Backend selection. TF.js backends are tried in order of speed and the first that loads wins:
 * tfjs-node-gpu (CUDA), tfjs-node (libtensorflow), wasm (SIMD; several threads on request, see
 * wasm-threads.ts), cpu (pure JS).
 * The native packages are optional dependencies: where their install could not download
 * libtensorflow they are absent and the import fails with ERR_MODULE_NOT_FOUND.
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { registerWasmKernels } from './wasm-kernels.js';
import { registerExtraWasmKernels } from './wasm-kernels-extra.js';
import { checkThreads, envThreads, initWasmThreads } from './wasm-threads.js';

export type Tf = typeof TF;
export type BackendName = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKEND_CHOICES = ['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

export interface LoadedBackend {
  readonly tf: Tf;
  readonly name: BackendName;
  /** The package that provided it. */
  readonly via: string;
  /** Why the faster candidates were skipped. */
  readonly skipped: readonly string[];
  /** Threads of the wasm backend's pool (1: the single-threaded build); null for the other backends. */
  readonly threads: number | null;
}

export interface BackendOptions {
  /** Threads for the wasm backend (default: MTL_BENCH_THREADS, or 1); ignored by the other backends. */
  readonly threads?: number;
}

let loaded: LoadedBackend | null = null;

async function tryImport(spec: string, skipped: string[]): Promise<Tf | null> {
  try {
    const m = (await import(spec)) as { default?: Tf } & Tf;
    return (m.default ?? m) as Tf;
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    skipped.push(`${spec}: ${err.code === 'ERR_MODULE_NOT_FOUND' ? 'not installed' : String(err.message).split('\n')[0]}`);
    return null;
  }
}

/**
 * Load the best available backend (or the one asked for) once per process. Asking again returns
 * the same backend; asking for a different one, or for another wasm thread count, after loading
 * is an error. `threads` left out accepts whatever is loaded (MTL_BENCH_THREADS, or 1, if nothing is).
 */
export async function loadBackend(choice: BackendChoice = (process.env.MTL_BENCH_BACKEND as BackendChoice | undefined) ?? 'auto', opts: BackendOptions = {}): Promise<LoadedBackend> {
  if (!BACKEND_CHOICES.includes(choice)) throw new ConfigError('backend', choice, `one of ${BACKEND_CHOICES.join(', ')}`);
  const threads = opts.threads === undefined ? undefined : checkThreads(opts.threads, 'threads');
  const wasmThreads = threads ?? envThreads() ?? 1;
  if (loaded) {
    if (choice !== 'auto' && choice !== loaded.name) {
      throw new ConfigError('backend', choice, `${loaded.name} (already loaded in this process)`);
    }
    if (threads !== undefined && loaded.threads !== null && threads !== loaded.threads) {
      throw new ConfigError('threads', threads, `${loaded.threads} (the wasm backend is already loaded in this process)`);
    }
    return loaded;
  }
  const skipped: string[] = [];
  const natives: [BackendName, string][] = [
    ['tensorflow-gpu', '@tensorflow/tfjs-node-gpu'],
    ['tensorflow', '@tensorflow/tfjs-node'],
  ];
  for (const [name, spec] of natives) {
    if (choice !== 'auto' && choice !== name) continue;
    const tf = await tryImport(spec, skipped);
    if (tf) {
      await tf.ready();
      return (loaded = { tf, name, via: spec, skipped, threads: null });
    }
    if (choice === name) throw new ConfigError('backend', choice, `an installed ${spec} (${skipped.at(-1)})`);
  }
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  if (choice === 'auto' || choice === 'wasm') {
    try {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      registerWasmKernels(tf);
      registerExtraWasmKernels(tf);
      const init = wasmThreads > 1 ? await initWasmThreads(tf, wasm, wasmThreads) : { ok: await tf.setBackend('wasm'), threads: 1 };
      if (init.ok) {
        await tf.ready();
        return (loaded = { tf, name: 'wasm', via: '@tensorflow/tfjs-backend-wasm', skipped, threads: init.threads });
      }
      skipped.push('@tensorflow/tfjs-backend-wasm: setBackend failed');
    } catch (e) {
      skipped.push(`@tensorflow/tfjs-backend-wasm: ${String((e as Error).message).split('\n')[0]}`);
    }
    if (choice === 'wasm') throw new ConfigError('backend', choice, `a working wasm backend (${skipped.at(-1)})`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return (loaded = { tf, name: 'cpu', via: '@tensorflow/tfjs (cpu)', skipped, threads: null });
}

/** The loaded backend; throws if loadBackend has not run. */
export function currentBackend(): LoadedBackend {
  if (!loaded) throw new Error('no TF.js backend loaded yet: call loadBackend() first');
  return loaded;
}

export function describeBackend(b: LoadedBackend): string {
  const threads = b.threads === null ? '' : `, ${b.threads} thread${b.threads > 1 ? 's' : ''}`;
  return `backend ${b.name} via ${b.via}${threads}${b.skipped.length ? ` (skipped: ${b.skipped.join('; ')})` : ''}`;
}
