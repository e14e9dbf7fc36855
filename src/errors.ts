/**
 * One error family for everything a user can get wrong. Each message names the field or file,
 * the value that was given and what was expected.
 */
export class MtlBenchError extends Error {
  override readonly name: string = 'MtlBenchError';
}

/** A configuration or hyperparameter value is missing, of the wrong type or out of range. */
export class ConfigError extends MtlBenchError {
  override readonly name = 'ConfigError';
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}: got ${fmt(value)}, expected ${expected}`);
  }
}

/** Arrays or tensors whose shapes do not agree. */
export class ShapeError extends MtlBenchError {
  override readonly name = 'ShapeError';
  constructor(
    readonly what: string,
    readonly expected: readonly (number | string)[] | string,
    readonly actual: readonly number[] | string,
  ) {
    super(`${what}: expected shape ${shapeStr(expected)}, got ${shapeStr(actual)}`);
  }
}

/** A valid request that this method, backend or mode cannot serve. */
export class UnsupportedError extends MtlBenchError {
  override readonly name = 'UnsupportedError';
}

/** A file on disk is missing, truncated or malformed. */
export class DataError extends MtlBenchError {
  override readonly name = 'DataError';
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A numerical routine did not converge or met a non-finite value. */
export class NumericalError extends MtlBenchError {
  override readonly name = 'NumericalError';
}

function shapeStr(s: readonly (number | string)[] | string): string {
  return typeof s === 'string' ? s : `[${s.join(', ')}]`;
}

export function fmt(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined) return 'nothing';
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}

/** A plugin module (a method or task of the user's) cannot be loaded, or what it exports is not usable. */
export class PluginError extends MtlBenchError {
  override readonly name = 'PluginError';
  constructor(
    readonly module: string,
    readonly problem: string,
  ) {
    super(`${module}: ${problem}`);
  }
}
