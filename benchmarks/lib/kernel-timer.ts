/**
 * Wall-clock time, process CPU time and call count of every TF.js kernel by name, on a synchronous
 * backend (wasm, cpu, tensorflow). Each kernel registered for the backend is re-registered with a
 * wrapper that times it; a kernel that runs other kernels (mtl-bench's own gradient kernels do) is
 * charged only its self time, so the times add up to the time spent inside kernels. CPU time
 * (getrusage) is the steadier measure on a loaded machine, where wall time includes waiting for a
 * core. Install after a warm-up step (kernels registered on first use are wrapped only if already
 * registered).
 */
import type * as TF from '@tensorflow/tfjs';
import { cpuMs } from './timing.js';

export interface KernelStat {
  readonly name: string;
  readonly count: number;
  /** Self wall time in ms (nested kernels excluded). */
  readonly ms: number;
  /** Self process CPU time in ms. */
  readonly cpuMs: number;
}


/** Matrix products and convolutions, fused or not, and their gradient kernels. */
export const GEMM_KERNELS = /^(_?Fused)?(MatMul|BatchMatMul|Conv2D|Conv3D|Conv2DBackpropInput|Conv2DBackpropFilter|DepthwiseConv2dNative.*|FusedConv2D|FusedDepthwiseConv2D)$/;

export class KernelTimer {
  private readonly stats = new Map<string, { count: number; ms: number; cpuMs: number }>();
  private readonly stack: [number, number][] = [];
  private enabled = false;

  constructor(tf: typeof TF, backend: string) {
    for (const k of tf.getKernelsForBackend(backend)) {
      const inner = k.kernelFunc;
      const name = k.kernelName;
      tf.unregisterKernel(name, backend);
      tf.registerKernel({
        ...k,
        kernelFunc: (args) => {
          if (!this.enabled) return inner(args);
          this.stack.push([0, 0]);
          const t0 = performance.now();
          const c0 = cpuMs();
          try {
            return inner(args);
          } finally {
            const dc = cpuMs() - c0;
            const dt = performance.now() - t0;
            const [nested, nestedCpu] = this.stack.pop()!;
            const parent = this.stack[this.stack.length - 1];
            if (parent) {
              parent[0] += dt;
              parent[1] += dc;
            }
            const s = this.stats.get(name) ?? { count: 0, ms: 0, cpuMs: 0 };
            s.count++;
            s.ms += dt - nested;
            s.cpuMs += dc - nestedCpu;
            this.stats.set(name, s);
          }
        },
      });
    }
  }

  /** Time `f` with every kernel call recorded; returns its wall and CPU time in ms. */
  run(f: () => void): { wallMs: number; cpuMs: number } {
    this.enabled = true;
    const t0 = performance.now();
    const c0 = cpuMs();
    try {
      f();
    } finally {
      this.enabled = false;
    }
    return { cpuMs: cpuMs() - c0, wallMs: performance.now() - t0 };
  }

  /** Accumulated statistics, most CPU time first. */
  result(): KernelStat[] {
    return [...this.stats].map(([name, s]) => ({ name, count: s.count, ms: s.ms, cpuMs: s.cpuMs })).sort((a, b) => b.cpuMs - a.cpuMs);
  }
}
