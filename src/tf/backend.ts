/**
 * Backend selection. TF.js backends are tried in order of speed and the first that loads wins:
 * tfjs-node-gpu (CUDA), tfjs-node (libtensorflow), wasm (SIMD, one thread in Node), cpu (pure JS).
 * The native packages are optional dependencies: where their install could not download
 * libtensorflow they are absent and the import fails with ERR_MODULE_NOT_FOUND.
 */
import type * as TF from '@tensorflow/tfjs';
import { ConfigError } from '../errors.js';
import { registerWasmKernels } from './wasm-kernels.js';
import { registerExtraWasmKernels } from './wasm-kernels-extra.js';

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
 * the same backend; asking for a different one after loading is an error.
 */
export async function loadBackend(choice: BackendChoice = (process.env.MTL_BENCH_BACKEND as BackendChoice | undefined) ?? 'auto'): Promise<LoadedBackend> {
  if (!BACKEND_CHOICES.includes(choice)) throw new ConfigError('backend', choice, `one of ${BACKEND_CHOICES.join(', ')}`);
  if (loaded) {
    if (choice !== 'auto' && choice !== loaded.name) {
      throw new ConfigError('backend', choice, `${loaded.name} (already loaded in this process)`);
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
      return (loaded = { tf, name, via: spec, skipped });
    }
    if (choice === name) throw new ConfigError('backend', choice, `an installed ${spec} (${skipped.at(-1)})`);
  }
  const tf = (await import('@tensorflow/tfjs')) as Tf;
  if (choice === 'auto' || choice === 'wasm') {
    try {
      await import('@tensorflow/tfjs-backend-wasm');
      registerWasmKernels(tf);
      registerExtraWasmKernels(tf);
      if (await tf.setBackend('wasm')) {
        await tf.ready();
        return (loaded = { tf, name: 'wasm', via: '@tensorflow/tfjs-backend-wasm', skipped });
      }
      skipped.push('@tensorflow/tfjs-backend-wasm: setBackend failed');
    } catch (e) {
      skipped.push(`@tensorflow/tfjs-backend-wasm: ${String((e as Error).message).split('\n')[0]}`);
    }
    if (choice === 'wasm') throw new ConfigError('backend', choice, `a working wasm backend (${skipped.at(-1)})`);
  }
  await tf.setBackend('cpu');
  await tf.ready();
  return (loaded = { tf, name: 'cpu', via: '@tensorflow/tfjs (cpu)', skipped });
}

/** The loaded backend; throws if loadBackend has not run. */
export function currentBackend(): LoadedBackend {
  if (!loaded) throw new Error('no TF.js backend loaded yet: call loadBackend() first');
  return loaded;
}

export function describeBackend(b: LoadedBackend): string {
  return `backend ${b.name} via ${b.via}${b.skipped.length ? ` (skipped: ${b.skipped.join('; ')})` : ''}`;
}
