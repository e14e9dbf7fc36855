/** The README's plugin examples are the files the plugin tests run, verbatim. */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import t from 'tap';

const repo = resolve(import.meta.dirname, '../..');
const readme = readFileSync(join(repo, 'README.md'), 'utf8');

function firstTsBlock(section: string): string {
  const at = readme.indexOf(`\n## ${section}\n`);
  if (at < 0) return `(no section ${section})`;
  const m = /```ts\n([^]*?)```/.exec(readme.slice(at));
  return m ? m[1]! : '(no ts block)';
}

t.test('README examples match the tested files', async (t) => {
  t.equal(firstTsBlock('Your own method'), readFileSync(join(repo, 'examples', 'inv-loss.ts'), 'utf8'));
  t.equal(firstTsBlock('Your own task'), readFileSync(join(repo, 'examples', 'rings-task.ts'), 'utf8'));
});
