/**
 * Plugins named in an experiment config: `plugins: [./a.ts]`, `{ method: ./invloss.ts }` or
 * `task: ./my-task.ts` (paths relative to the config file). They are loaded, and the file names
 * in `method`/`task` replaced by the ids the modules registered, before the config is validated.
 */
import { ConfigError, PluginError } from '../errors.js';
import { loadPlugin } from './load.js';

/** A string that names a module file rather than a registered id. */
export const isModulePath = (s: string): boolean => /^(\.{1,2}[\\/]|[\\/])/.test(s) || /\.(m?[jt]s|c[jt]s)$/i.test(s);

export async function resolveConfigPlugins(raw: Record<string, unknown>, baseDir: string, extra: readonly string[] = []): Promise<void> {
  const listed = raw.plugins === undefined ? [] : raw.plugins;
  if (!Array.isArray(listed)) throw new ConfigError('plugins', listed, 'a list of module paths');
  const kept: unknown[] = [];
  for (const [i, p] of listed.entries()) {
    if (typeof p === 'string') kept.push((await loadPlugin(p, baseDir)).path);
    else if (typeof p === 'object' && p !== null && typeof (p as { path?: unknown }).path === 'string') kept.push(p);
    else throw new ConfigError(`plugins[${i}]`, p, 'a module path');
  }
  for (const p of extra) await loadPlugin(p);
  if (typeof raw.task === 'string' && isModulePath(raw.task)) {
    const lp = await loadPlugin(raw.task, baseDir);
    if (lp.tasks.length !== 1) throw new PluginError(raw.task, `exports ${lp.tasks.length} tasks (${lp.tasks.join(', ') || 'none'}); name one by id, with the module under plugins`);
    raw.task = lp.tasks[0];
  }
  if (Array.isArray(raw.optimizers)) {
    raw.optimizers = await Promise.all(
      raw.optimizers.map(async (o) => {
        const name = typeof o === 'string' ? o : typeof o === 'object' && o !== null ? (o as { method?: unknown }).method : undefined;
        if (typeof name !== 'string' || !isModulePath(name)) return o;
        const lp = await loadPlugin(name, baseDir);
        if (lp.methods.length !== 1) throw new PluginError(name, `exports ${lp.methods.length} methods (${lp.methods.join(', ') || 'none'}); name one by id, with the module under plugins`);
        return typeof o === 'string' ? lp.methods[0] : { ...(o as object), method: lp.methods[0] };
      }),
    );
  }
  if (raw.plugins !== undefined) raw.plugins = kept;
}
