#!/usr/bin/env node
// Entry point. An installed package runs the built JavaScript in dist/. A checkout of the
// repository (src/ present) runs the TypeScript sources through tsx, so that no build is needed
// and a stale dist/ is never used; MTL_BENCH_BUILT=1 makes a checkout run dist/ instead.
import { existsSync } from 'node:fs';

const fromSource = existsSync(new URL('../src/cli.ts', import.meta.url)) && process.env.MTL_BENCH_BUILT !== '1';
if (fromSource) {
  const { register } = await import('tsx/esm/api');
  register();
  const { register: registerHooks } = await import('node:module');
  // `import ... from 'mtl-bench/…'` in plugins resolves to the sources as well.
  registerHooks('./source-resolve.js', import.meta.url);
  await import('../src/cli.ts');
} else {
  await import('../dist/src/cli.js');
}
