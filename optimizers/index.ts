/**
 * The typed registry of multi-task optimizers. Every entry lists its display name, paper, kind,
 * defaults, parameter specs (validation), capabilities and factory. A test walks this list, so a
 * forgotten entry fails CI. Add a method: one file in this folder, one line below.
 */
import { ConfigError } from '../src/errors.js';
import { alignedMtlDefinition } from './aligned-mtl.js';
import { cagradDefinition } from './cagrad.js';
import { dbMtlDefinition } from './db-mtl.js';
import { dwaDefinition } from './dwa.js';
import { egaDefinition } from './ega.js';
import { ewDefinition } from './ew.js';
import { fairgradDefinition } from './fairgrad.js';
import { famoDefinition } from './famo.js';
import { glsDefinition } from './gls.js';
import { gradDropDefinition } from './graddrop.js';
import { gradVacDefinition } from './gradvac.js';
import { imtlDefinition } from './imtl.js';
import { mgdaDefinition } from './mgda.js';
import { mocoDefinition } from './moco.js';
import { nashMtlDefinition } from './nash-mtl.js';
import { pcgradDefinition } from './pcgrad.js';
import { rlwDefinition } from './rlw.js';
import { stchDefinition } from './stch.js';
import { upgradDefinition } from './upgrad.js';
import { uwDefinition } from './uw.js';
import type { MethodDefinition, MtlMethod, ParamValues, PluginRef } from './types.js';
import { didYouMean } from '../src/suggest.js';

/** Group of a method in the paper's tables; `plugin`: a method loaded from a user's module. */
export type MethodGroup = 'paper' | 'extended' | 'plugin';

interface Entry {
  readonly def: MethodDefinition<ParamValues>;
  readonly group: MethodGroup;
  readonly plugin?: PluginRef;
}

const entries: Entry[] = [
  // The twelve methods of the radarODE-MTL comparison, in the paper's order: loss balancing, then gradient balancing.
  { def: ewDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: uwDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: glsDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: dwaDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: stchDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: gradDropDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: gradVacDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: cagradDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: imtlDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: mocoDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: alignedMtlDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  { def: egaDefinition as MethodDefinition<ParamValues>, group: 'paper' },
  // Beyond the paper's list (the rest of LibMTL's catalogue).
  { def: pcgradDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  { def: mgdaDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  { def: nashMtlDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  { def: rlwDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  { def: dbMtlDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  { def: famoDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  { def: fairgradDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  { def: upgradDefinition as MethodDefinition<ParamValues>, group: 'extended' },
  // REGISTRY-INSERT (keep this marker: new entries go above it)
];

const defs: MethodDefinition<ParamValues>[] = entries.map((e) => e.def);

/** The built-in methods, then those registered from plugins (src/plugins/load.ts). */
export const registry: readonly MethodDefinition<ParamValues>[] = defs;

export function methodGroup(id: string): MethodGroup {
  return entries.find((e) => e.def.id === id)?.group ?? 'extended';
}

/** The plugin module a method came from (path and content hash), or undefined for a built-in. */
export function methodPlugin(id: string): PluginRef | undefined {
  return entries.find((e) => e.def.id === id)?.plugin;
}

/** Add a method from a plugin; its id and names must not clash with a registered method's. */
export function registerMethod(def: MethodDefinition<ParamValues>, plugin: PluginRef): void {
  for (const name of [def.id, def.displayName, ...def.referenceNames]) {
    const other = findMethod(name);
    if (other) throw new ConfigError(`method ${def.id}`, name, `a name not taken by ${methodPlugin(other.id)?.path ?? 'the built-in method'} ${other.displayName}`);
  }
  entries.push({ def, group: 'plugin', plugin });
  defs.push(def);
}

/** Look a method up by id (`aligned-mtl`), display name (`Aligned-MTL`) or reference name (`Aligned_MTL`), case-insensitively. */
export function findMethod(name: string): MethodDefinition<ParamValues> | undefined {
  const key = name.toLowerCase();
  return registry.find(
    (d) =>
      d.id === key ||
      d.displayName.toLowerCase() === key ||
      d.referenceNames.some((r) => r.toLowerCase() === key),
  );
}

export function getMethod(name: string): MethodDefinition<ParamValues> {
  const def = findMethod(name);
  if (!def) throw new ConfigError('optimizer', name, `one of ${registry.map((d) => d.id).join(', ')}${didYouMean(name, [...registry.map((d) => d.displayName), ...registry.map((d) => d.id)])}`);
  return def;
}

export function createMethod(name: string, nTasks: number, params?: Partial<ParamValues>): MtlMethod {
  return getMethod(name).create(nTasks, params);
}

export type { MethodDefinition, MtlMethod } from './types.js';
