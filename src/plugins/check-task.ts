/** Checks a task definition exported by a plugin: the fields the runner and the reports rely on. */
import type { TaskDefinition } from '../tasks/task.js';
import { ExportProblem, ID_PATTERN } from './check-method.js';

const fail = (msg: string): never => {
  throw new ExportProblem(msg);
};
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const NOISE = ['clean', 'snr', 'abrupt'];

export function checkTaskShape(v: Record<string, unknown>): TaskDefinition {
  if (typeof v.id !== 'string' || !ID_PATTERN.test(v.id)) fail(`id: got ${JSON.stringify(v.id)}, expected a kebab-case string such as "two-moons"`);
  if (typeof v.displayName !== 'string' || v.displayName.length === 0) fail('displayName: expected a non-empty string');
  const names = v.taskNames;
  if (!(Array.isArray(names) && names.length >= 1 && names.every((x) => typeof x === 'string' && /^[A-Za-z0-9_.-]+$/.test(x)))) fail('taskNames: expected a non-empty list of names (letters, digits, _ . -)');
  if (new Set(names as string[]).size !== (names as string[]).length) fail('taskNames: expected distinct names');
  if (!(Array.isArray(v.metrics) && v.metrics.length > 0)) fail('metrics: expected a non-empty list of {task, name, higherIsBetter}');
  (v.metrics as unknown[]).forEach((m, i) => {
    if (!isObj(m)) return fail(`metrics[${i}]: expected {task, name, higherIsBetter}`);
    if (!(names as string[]).includes(m.task as string)) fail(`metrics[${i}].task: got ${JSON.stringify(m.task)}, expected one of ${(names as string[]).join(', ')}`);
    if (typeof m.name !== 'string' || !/^[A-Za-z0-9_.-]+$/.test(m.name)) fail(`metrics[${i}].name: expected a metric name (letters, digits, _ . -)`);
    if (typeof m.higherIsBetter !== 'boolean') fail(`metrics[${i}].higherIsBetter: expected true or false (the metric's direction for Δm%)`);
  });
  for (const t of names as string[]) if (!(v.metrics as { task: string }[]).some((m) => m.task === t)) fail(`metrics: task ${JSON.stringify(t)} has no metric (Δm% averages over every task's metrics)`);
  if (!(Array.isArray(v.presets) && v.presets.length > 0)) fail('presets: expected a non-empty list of {name, description, paperScale}');
  (v.presets as unknown[]).forEach((p, i) => {
    if (!isObj(p) || typeof p.name !== 'string' || p.name.length === 0 || typeof p.description !== 'string' || typeof p.paperScale !== 'boolean') fail(`presets[${i}]: expected {name, description, paperScale}`);
  });
  if (!(Array.isArray(v.noiseKinds) && v.noiseKinds.includes('clean') && v.noiseKinds.every((k) => NOISE.includes(k as string)))) fail(`noiseKinds: expected a list with "clean" (and any of ${NOISE.join(', ')})`);
  for (const f of ['training', 'prepareData', 'createModel', 'lossFn']) if (typeof v[f] !== 'function') fail(`${f}: expected a function`);
  for (const p of v.presets as { name: string }[]) {
    let t: unknown;
    try {
      t = (v.training as (p: string) => unknown)(p.name);
    } catch (e) {
      return fail(`training(${JSON.stringify(p.name)}) threw: ${(e as Error).message}`);
    }
    if (!isObj(t) || !isObj(t.optimizer) || !isObj(t.schedule)) fail(`training(${JSON.stringify(p.name)}): expected {optimizer, schedule, epochs, batchSize}`);
    const tr = t as Record<string, unknown>;
    if (!(Number.isInteger(tr.epochs) && (tr.epochs as number) >= 1)) fail(`training(${JSON.stringify(p.name)}).epochs: expected an integer >= 1`);
    if (!(Number.isInteger(tr.batchSize) && (tr.batchSize as number) >= 1)) fail(`training(${JSON.stringify(p.name)}).batchSize: expected an integer >= 1`);
  }
  return v as unknown as TaskDefinition;
}
