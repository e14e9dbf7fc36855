/**
 * Wall-clock time and call count of every TF.js kernel by name, on a synchronous backend (wasm,
 * cpu, tensorflow). Each kernel registered for the backend is re-registered with a wrapper that
 * times it; a kernel that runs other kernels (mtl-bench's own gradient kernels do) is charged only
 * its self time, so the times add up to the time spent inside kernels. Install after a warm-up
 * step (kernels registered on first use are wrapped only if already registered).
 */
import type * as TF from '@tensorflow/tfjs';

export interface KernelStat {
  readonly name: string;
  readonly count: number;
  /** Self time in ms (nested kernels excluded). */
  readonly ms: number;
}

/** Matrix products and convolutions, fused or not, and their gradient kernels. */
export const GEMM_KERNELS = /^(_?Fused)?(MatMul|BatchMatMul|Conv2D|Conv3D|Conv2DBackpropInput|Conv2DBackpropFilter|DepthwiseConv2dNative.*|FusedConv2D|FusedDepthwiseConv2D)$/;

export class KernelTimer {
  private readonly stats = new Map<string, { count: number; ms: number }>();
  private readonly stack: number[] = [];
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
          this.stack.push(0);
          const t0 = performance.now();
          try {
            return inner(args);
          } finally {
            const dt = performance.now() - t0;
            const nested = this.stack.pop()!;
            if (this.stack.length) this.stack[this.stack.length - 1]! += dt;
            const s = this.stats.get(name) ?? { count: 0, ms: 0 };
            s.count++;
            s.ms += dt - nested;
            this.stats.set(name, s);
          }
        },
      });
    }
  }

  /** Time `f` with every kernel call recorded; returns its wall time in ms. */
  run(f: () => void): number {
    this.enabled = true;
    const t0 = performance.now();
    try {
      f();
    } finally {
      this.enabled = false;
    }
    return performance.now() - t0;
  }

  /** Accumulated statistics, most time first. */
  result(): KernelStat[] {
    return [...this.stats].map(([name, s]) => ({ name, count: s.count, ms: s.ms })).sort((a, b) => b.ms - a.ms);
  }
}
