#!/usr/bin/env node
// Entry point: runs the TypeScript sources directly through tsx's ESM loader.
import { register } from 'tsx/esm/api';
register();
await import('../src/cli.ts');
