/**
 * Shared pieces of the radarODE-MTL benchmarks: a synthetic batch of a preset's input shape with
 * targets of the three tasks, medians, and the process's peak resident memory.
 */
import { readFileSync } from 'node:fs';
import type * as TF from '@tensorflow/tfjs';
import type { Rng } from '../../src/rng.js';
import { RADAR_ECG_PRESETS, type RadarEcgPresetName } from '../../src/tasks/radar-ecg/presets.js';

/** Input x [batch, bins, frames, channels] uniform in [0, 1); targets: a sine cycle, PPI classes 150–209, an impulse train. */
export function syntheticBatch(tf: typeof TF, preset: RadarEcgPresetName, batch: number, rng: Rng): { x: TF.Tensor4D; targets: TF.Tensor[] } {
  const p = RADAR_ECG_PRESETS[preset];
  const n = batch * p.bins * p.frames * p.channels;
  const x = tf.tensor4d(Float32Array.from({ length: n }, () => rng.uniform()), [batch, p.bins, p.frames, p.channels]);
  const shape = tf.tensor2d(Float32Array.from({ length: batch * 200 }, (_, i) => Math.sin(i / 10)), [batch, 200]);
  const ppi = tf.tensor1d(Int32Array.from({ length: batch }, () => 150 + rng.int(60)), 'int32');
  const anchor = tf.tensor2d(Float32Array.from({ length: batch * 800 }, (_, i) => (i % 160 === 0 ? 1 : 0)), [batch, 800]);
  return { x, targets: [shape, ppi, anchor] };
}

export function median(a: readonly number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const k = s.length >> 1;
  return s.length % 2 ? s[k]! : (s[k - 1]! + s[k]!) / 2;
}

/** Peak resident set size in MB: VmHWM from /proc/self/status, else getrusage's maxRSS. */
export function peakRssMb(): number {
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    if (m) return Number(m[1]) / 1024;
  } catch {
    /* not Linux */
  }
  return process.resourceUsage().maxRSS / 1024;
}
