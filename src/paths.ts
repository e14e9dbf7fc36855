/**
 * Files that ship with the package (bin/, package.json, reports/paper/), found from the package
 * root, so that the same code resolves them from the TypeScript sources and from the built dist/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | null = null;

/** The directory holding mtl-bench's package.json (the checkout, or node_modules/mtl-bench). */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'mtl-bench') return (root = dir);
    const up = dirname(dir);
    if (up === dir) throw new Error(`mtl-bench: no package.json above ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const packagePath = (...parts: string[]): string => join(packageRoot(), ...parts);
