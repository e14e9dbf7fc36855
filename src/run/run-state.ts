/**
 * What a run's checkpoint holds and how it is restored: everything a training step depends on
 * (parameters and buffers, optimiser slots and step count, the method's state and learnable
 * weights, the training and model random streams, the loss history, the selection state and the
 * file of the selected weights). Parameters are named by their place in the model (`shared/3`,
 * `head/1/0`, `loss_scale`), never by TF.js variable names, which carry per-process counters.
 *
 * Retention: the last two epoch checkpoints and the best-weights files they refer to, so a damaged
 * latest checkpoint falls back to the previous one; with none usable the run restarts from scratch.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type * as TF from '@tensorflow/tfjs';
import type { JsonObject, MtlMethod } from '../../optimizers/types.js';
import { DataError, MtlBenchError } from '../errors.js';
import type { RngState } from '../rng.js';
import type { MultiTaskModel } from '../tf/model.js';
import type { Optimizer } from '../tf/optim.js';
import type { MtlStepper } from '../tf/plumbing.js';
import { checkVariables, readCheckpoint, restoreVariables, variableRecords, writeCheckpoint, type TensorRecord } from './checkpoint.js';

export interface RunStateHeader {
  readonly key: string;
  /** Epochs completed: training continues at this epoch. */
  readonly epoch: number;
  readonly rng: RngState;
  /** The batch-order stream (trainer's `batchRng`). */
  readonly batchRng: RngState;
  readonly modelRng: RngState | null;
  readonly lossHistory: number[][];
  readonly methodState: JsonObject;
  readonly optimizerStep: number;
  readonly optimizerSlots: { name: string; shape: number[]; count: number }[];
  /** The runner's selection state, stored whole. */
  readonly selection: unknown;
  /** Epoch whose weights are in best-<epoch>.ckpt (the selected weights so far), or null. */
  readonly best: number | null;
}

export interface RunParts {
  readonly tf: typeof TF;
  readonly model: MultiTaskModel;
  readonly method: MtlMethod;
  readonly optimizer: Optimizer;
  readonly stepper: MtlStepper;
}

export const epochFile = (dir: string, epoch: number): string => join(dir, `epoch-${epoch}.ckpt`);
export const bestFile = (dir: string, epoch: number): string => join(dir, `best-${epoch}.ckpt`);

export function modelVariables(model: MultiTaskModel): TF.Variable[] {
  return [...model.shared, ...model.heads.flat(), ...model.buffers];
}

/** Stable names of everything the optimiser updates. */
export function parameterNames(parts: Pick<RunParts, 'model' | 'stepper'>): Map<string, TF.Variable> {
  const m = new Map<string, TF.Variable>();
  parts.model.shared.forEach((v, i) => m.set(`shared/${i}`, v));
  parts.model.heads.forEach((h, t) => h.forEach((v, i) => m.set(`head/${t}/${i}`, v)));
  if (parts.stepper.learnableVariable) m.set('loss_scale', parts.stepper.learnableVariable);
  return m;
}

export function saveBest(dir: string, key: string, epoch: number, model: MultiTaskModel): void {
  writeCheckpoint(bestFile(dir, epoch), { header: { key, epoch }, tensors: variableRecords(modelVariables(model), 'model') });
}

export function saveRunState(dir: string, parts: RunParts, state: Omit<RunStateHeader, 'optimizerStep' | 'optimizerSlots' | 'modelRng' | 'methodState'>): void {
  const names = new Map([...parameterNames(parts)].map(([n, v]) => [v, n] as const));
  const opt = parts.optimizer.getState(names);
  const header: RunStateHeader = {
    ...state,
    modelRng: parts.model.randomState?.() ?? null,
    methodState: parts.method.getState(),
    optimizerStep: opt.step,
    optimizerSlots: Object.entries(opt.slots).map(([name, s]) => ({ name, shape: s.shape, count: s.values.length })),
  };
  const learnable = parts.stepper.learnableVariable;
  const tensors: TensorRecord[] = [
    ...variableRecords(modelVariables(parts.model), 'model'),
    ...Object.entries(opt.slots).flatMap(([name, s]) => s.values.map((v, k) => ({ name: `opt/${name}/${k}`, shape: s.shape, data: v }))),
    ...(learnable ? [{ name: 'learnable', shape: learnable.shape, data: Float32Array.from(learnable.dataSync()) }] : []),
  ];
  writeCheckpoint(epochFile(dir, state.epoch), { header, tensors });
}

/** Epoch checkpoints present in `dir` up to `upTo`, newest first. */
function candidates(dir: string, upTo: number): number[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .map((f) => /^epoch-(\d+)\.ckpt$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .filter((e) => e >= 1 && e <= upTo)
    .sort((a, b) => b - a);
}

/** Verify one checkpoint completely (file, run key, epoch, shapes, slot names, its best file) without changing anything. */
function verify(dir: string, key: string, epoch: number, parts: RunParts) {
  const file = epochFile(dir, epoch);
  const ck = readCheckpoint<RunStateHeader>(file, key);
  const h = ck.header;
  if (h.epoch !== epoch) throw new DataError(file, `holds epoch ${h.epoch}, expected ${epoch}`);
  checkVariables(modelVariables(parts.model), ck.tensors, 'model', file);
  const params = parameterNames(parts);
  const slots: Record<string, { shape: number[]; values: Float32Array[] }> = {};
  for (const s of h.optimizerSlots) {
    const v = params.get(s.name);
    if (!v || v.shape.join('x') !== s.shape.join('x')) throw new DataError(file, `optimizer slots for ${s.name} [${s.shape.join(', ')}] do not fit the model`);
    slots[s.name] = {
      shape: s.shape,
      values: Array.from({ length: s.count }, (_, k) => {
        const t = ck.tensors.find((x) => x.name === `opt/${s.name}/${k}`);
        if (!t) throw new DataError(file, `missing tensor opt/${s.name}/${k}`);
        return t.data;
      }),
    };
  }
  const learnable = ck.tensors.find((t) => t.name === 'learnable') ?? null;
  if ((learnable === null) !== (parts.stepper.learnableVariable === null)) throw new DataError(file, 'learnable task weights do not fit the method');
  if (h.best !== null) {
    const bf = bestFile(dir, h.best);
    const best = readCheckpoint<{ key: string; epoch: number }>(bf, key);
    if (best.header.epoch !== h.best) throw new DataError(bf, `holds epoch ${best.header.epoch}, expected ${h.best}`);
    checkVariables(modelVariables(parts.model), best.tensors, 'model', bf);
  }
  return { ck, slots, learnable, params };
}

/**
 * Restore the newest usable checkpoint up to `upTo` into the fresh run objects. Each unusable one
 * is reported through `notice` (one line) and the previous one is tried; null means start from
 * scratch (nothing was changed).
 */
export function loadRunState(dir: string, key: string, upTo: number, parts: RunParts, notice: (line: string) => void): RunStateHeader | null {
  const found = candidates(dir, upTo);
  if (!found.includes(upTo)) notice(`${epochFile(dir, upTo)}: checkpoint missing`);
  for (const epoch of found) {
    let v: ReturnType<typeof verify>;
    try {
      v = verify(dir, key, epoch, parts);
    } catch (e) {
      if (!(e instanceof MtlBenchError)) throw e;
      notice(e.message);
      continue;
    }
    const { tf, model, method, optimizer, stepper } = parts;
    const h = v.ck.header;
    restoreVariables(tf, modelVariables(model), v.ck.tensors, 'model', epochFile(dir, epoch));
    optimizer.setState({ step: h.optimizerStep, slots: v.slots }, v.params);
    method.setState(h.methodState);
    if (v.learnable && stepper.learnableVariable) {
      const data = v.learnable.data;
      tf.tidy(() => stepper.learnableVariable!.assign(tf.tensor1d(data)));
      method.setLearnable(data);
    }
    if (h.modelRng && model.restoreRandomState) model.restoreRandomState(h.modelRng);
    if (epoch !== upTo) notice(`resuming from the previous good checkpoint (epoch ${epoch})`);
    return h;
  }
  if (found.length > 0 || upTo > 0) notice('no usable checkpoint: the run restarts from scratch');
  return null;
}

/** After epoch checkpoint `epoch` is committed: drop older epoch checkpoints and best files no kept checkpoint refers to. */
export function pruneCheckpoints(dir: string, epoch: number, keepBest: readonly (number | null)[]): void {
  for (const f of readdirSync(dir)) {
    const e = /^epoch-(\d+)\.ckpt$/.exec(f);
    const b = /^best-(\d+)\.ckpt$/.exec(f);
    if ((e && Number(e[1]) < epoch - 1) || (b && !keepBest.includes(Number(b[1]))) || /\.tmp-\d+$/.test(f)) rmSync(join(dir, f), { force: true });
  }
}
