/** Command-line argument normalisation applied before yargs parses. */

/** `--input -` as `--input=-`: a lone '-' after an option is its value (stdin), not a positional. */
export function joinDashValues(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of argv) {
    const prev = out[out.length - 1];
    if (a === '-' && prev !== undefined && /^--[^=]+$/.test(prev)) out[out.length - 1] = `${prev}=-`;
    else out.push(a);
  }
  return out;
}
