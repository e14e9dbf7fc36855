/**
 * The CLI's experiment overrides (`--optimizers --seeds --epochs --batch-size --mode --data-dir
 * --data-path --name`) applied to raw experiment configs, before validation. `run` and `slurm`
 * share them, so the scripts `slurm` writes run exactly the grid it counted.
 */
import { getMethod } from '../../optimizers/index.js';

type Raw = Record<string, unknown>;

export interface Overrides {
  readonly optimizers?: string;
  readonly seeds?: string;
  readonly epochs?: number;
  readonly 'batch-size'?: number;
  readonly mode?: string;
  readonly 'data-dir'?: string;
  readonly 'data-path'?: string;
  readonly name?: string;
}

const list = (s: string | undefined): string[] | undefined => (s === undefined ? undefined : s.split(',').map((x) => x.trim()).filter(Boolean));

/** The raw configs with the overrides applied (in place); several experiments get `NAME-task` names. */
export function applyOverrides(raws: Raw[], o: Overrides): Raw[] {
  const optimizers = list(o.optimizers);
  const seeds = list(o.seeds);
  for (const raw of raws) {
    if (optimizers) raw.optimizers = selectOptimizers(raw.optimizers, optimizers);
    if (seeds) raw.seeds = seeds.map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (o.epochs !== undefined) raw.epochs = o.epochs;
    if (o['batch-size'] !== undefined) raw.batchSize = o['batch-size'];
    if (o.mode) raw.mode = o.mode;
    if (o['data-dir']) raw.dataDir = o['data-dir'];
    if (o['data-path']) raw.dataPath = o['data-path'];
    if (o.name) raw.name = raws.length > 1 ? `${o.name}-${String(raw.task)}` : o.name;
  }
  return raws;
}

/**
 * `--optimizers A,B`: the experiment's own entry of each named method where it has one (keeping
 * its parameters: EGA's temperature sweep, warm-ups sized to the run), the method at its defaults
 * otherwise.
 */
function selectOptimizers(entries: unknown, names: readonly string[]): unknown[] {
  const idOf = (e: unknown): string | null => {
    const name = typeof e === 'string' ? e : typeof e === 'object' && e !== null && typeof (e as { method?: unknown }).method === 'string' ? (e as { method: string }).method : null;
    if (name === null) return null;
    try {
      return getMethod(name).id;
    } catch {
      return null;
    }
  };
  const own = Array.isArray(entries) ? entries : [];
  return names.map((n) => own.find((e) => idOf(e) !== null && idOf(e) === idOf(n)) ?? n);
}
