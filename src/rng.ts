import seedrandom from 'seedrandom';

type StatefulPrng = seedrandom.PRNG & { state(): object };

/** Serialisable state of an {@link Rng}: restoring it continues the stream bit for bit. */
export interface RngState {
  readonly alea: object;
  /** A spare standard normal from the Box-Muller pair, if one is cached. */
  readonly spare: number | null;
}

/**
 * The one seeded random generator of mtl-bench (Alea, via seedrandom). Everything random receives
 * an Rng explicitly: data shuffles, initialisation, GradDrop masks, GradVac task orders.
 */
export class Rng {
  private gen: StatefulPrng;
  private spare: number | null = null;

  private constructor(gen: StatefulPrng) {
    this.gen = gen;
  }

  static fromSeed(seed: number | string): Rng {
    return new Rng(seedrandom.alea(String(seed), { state: true }) as StatefulPrng);
  }

  static fromState(state: RngState): Rng {
    const rng = new Rng(seedrandom.alea('', { state: state.alea as never }) as StatefulPrng);
    rng.spare = state.spare;
    return rng;
  }

  /** Continue from a saved state in place (for objects that hold their generator, e.g. dropout). */
  restore(state: RngState): void {
    this.gen = seedrandom.alea('', { state: state.alea as never }) as StatefulPrng;
    this.spare = state.spare;
  }

  state(): RngState {
    return { alea: this.gen.state(), spare: this.spare };
  }

  /** A child generator whose stream depends only on this one's seed and the label. */
  fork(label: string): Rng {
    return Rng.fromSeed(`${this.gen.int32()}:${label}`);
  }

  /** Uniform in [0, 1) with 53 random bits. */
  uniform(): number {
    return this.gen.double();
  }

  /** Integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.gen.double() * n);
  }

  /** Standard normal (Box-Muller, both values used). */
  normal(): number {
    if (this.spare !== null) {
      const s = this.spare;
      this.spare = null;
      return s;
    }
    let u = 0;
    while (u === 0) u = this.gen.double();
    const v = this.gen.double();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** Fisher-Yates shuffle in place; returns the array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i] as T;
      a[i] = a[j] as T;
      a[j] = t;
    }
    return a;
  }
}
