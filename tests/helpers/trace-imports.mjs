// `node --import ./trace-imports.mjs …`: appends every module URL the process resolves to $TRACE_FILE.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (process.env.TRACE_FILE) appendFileSync(process.env.TRACE_FILE, r.url + '\\n');
  return r;
}`),
);
