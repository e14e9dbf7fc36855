// Module resolve hook used when running from a checkout: the package's own entry points
// (`mtl-bench`, `mtl-bench/optimizers`, …) resolve to their TypeScript sources instead of dist/.
import { readFileSync } from 'node:fs';

const root = new URL('../', import.meta.url);
const exportsMap = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')).exports ?? {};

export async function resolve(specifier, context, next) {
  if (specifier === 'mtl-bench' || specifier.startsWith('mtl-bench/')) {
    const entry = exportsMap[`.${specifier.slice('mtl-bench'.length)}`];
    const target = typeof entry === 'string' ? entry : entry?.default ?? entry?.import;
    if (typeof target === 'string' && target.startsWith('./dist/') && target.endsWith('.js')) {
      // Handed on to the next resolver (tsx's), which loads TypeScript.
      return next(new URL(target.slice('./dist/'.length).replace(/\.js$/, '.ts'), root).href, context);
    }
  }
  return next(specifier, context);
}
