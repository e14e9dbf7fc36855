/**
 * The two interfaces of the registry, by what a method consumes:
 * - loss weighting: the task losses in, one scalar objective (and its coefficients) out;
 * - gradient aggregation: per-task gradients (shared parameters or shared representation) in,
 *   one combined update out.
 * The training loop calls these interfaces; it never asks which method it is running.
 */
import type { Rng } from '../src/rng.js';

export type MethodKind = 'loss-weighting' | 'gradient-aggregation';
export type GradMode = 'param' | 'rep';
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };
export type JsonObject = { [k: string]: JsonValue };

export interface Capabilities {
  /** Keeps state across steps (and so must be checkpointed). */
  readonly stateful: boolean;
  /** Draws random numbers from the run's generator. */
  readonly stochastic: boolean;
  /** Needs one backward pass per task (per-task gradients) instead of one backward of a scalar. */
  readonly needsTaskGradients: boolean;
  /** Works on per-task gradients of the shared parameters. */
  readonly paramMode: boolean;
  /** Works on per-task gradients of the shared representation. */
  readonly repMode: boolean;
  /** Works only in representation mode (GradDrop). */
  readonly requiresRep: boolean;
  /** Has parameters (log-scales) that the model's optimiser trains alongside the network. */
  readonly learnable: boolean;
  /** Reads the epoch-mean training losses of finished epochs (DWA, EGA). */
  readonly usesLossHistory: boolean;
  /** Wants the losses of the same batch re-evaluated after the update (FAMO). */
  readonly needsPostStepLosses: boolean;
}

/** Random draws injected in place of the method's own (replay of reference vectors). */
export interface InjectedDraws {
  /** PCGrad/GradVac: the task order used for task i (one list per task, in order). */
  readonly shuffleOrders?: readonly (readonly number[])[];
  /** GradDrop: the uniform draw, one value per representation feature. */
  readonly uniform?: ArrayLike<number>;
  /** RLW: the standard-normal draw, one per task. */
  readonly normal?: ArrayLike<number>;
}

export interface StepInput {
  /** 0-based epoch index. */
  readonly epoch: number;
  /** The n raw task losses of this batch. */
  readonly losses: Float64Array;
  /** lossHistory[e][i]: mean training loss of task i over finished epoch e (e < epoch). */
  readonly lossHistory: readonly Float64Array[];
  /** The run's generator; stochastic methods draw from it unless draws are injected. */
  readonly rng: Rng;
  readonly draws?: InjectedDraws;
}

export interface LossWeightingResult {
  /** Value of the scalar objective built from the losses. */
  readonly objective: number;
  /** d objective / d L_i: every parameter (shared and task heads) receives Σ c_i ∇L_i. */
  readonly coefficients: Float64Array;
  /** The weights the method reports for logging (LibMTL's return value), or null. */
  readonly weights: Float64Array | null;
  /** Gradient of the objective with respect to the method's learnable parameters. */
  readonly learnableGrad?: Float64Array;
  readonly diagnostics?: Readonly<Record<string, JsonValue>>;
}

/** Per-task gradients handed to an aggregator. */
export interface TaskGradients {
  readonly mode: GradMode;
  /**
   * n rows of length m. Param mode: gradient of task i's loss w.r.t. the flattened shared
   * parameters. Rep mode: the batch-summed gradient w.r.t. the shared representation.
   */
  readonly G: readonly Float64Array[];
  /** Param mode: [begin, end) slices per layer and per parameter tensor (GradVac groups). */
  readonly groups?: { readonly layer: readonly (readonly [number, number])[]; readonly tensor: readonly (readonly [number, number])[] };
  /** Rep mode: the representation (batch x features, flattened) and the per-sample task gradients. */
  readonly rep?: {
    readonly value: Float64Array;
    readonly perSample: readonly Float64Array[];
    readonly batch: number;
  };
}

export interface AggregationResult {
  /** The combined update: shared-parameter gradient (param mode) or representation gradient (rep mode, batch x features). */
  readonly grad: Float64Array;
  /** α with grad = Σ α_i g_i when the update is a combination of the task gradients; else null. */
  readonly coefficients: Float64Array | null;
  /** The weights the method reports for logging (LibMTL's return value), or null. */
  readonly weights: Float64Array | null;
  /** Multiplier of each task head's own gradient (null: heads get their plain ∇L_t, as in LibMTL). */
  readonly headScale: Float64Array | null;
  /** Gradient of the method's learnable parameters (IMTL's log-scales). */
  readonly learnableGrad?: Float64Array;
  readonly diagnostics?: Readonly<Record<string, JsonValue>>;
}

interface MethodBase {
  readonly id: string;
  /** Canonical label, e.g. `CAGrad(c=0.5, rescale=1)`: the report row and database key. */
  readonly label: string;
  readonly nTasks: number;
  /** Explicit, JSON-serialisable state; setState(getState()) continues bit for bit. */
  getState(): JsonObject;
  setState(state: JsonObject): void;
  /** The learnable parameters (log-scales), or null. The training loop trains them with its optimiser. */
  learnable(): Float64Array | null;
  setLearnable(values: ArrayLike<number>): void;
  /** State in the reference implementation's names, for comparison with recorded vectors. */
  referenceState?(): Record<string, JsonValue>;
}

export interface LossWeightingMethod extends MethodBase {
  readonly kind: 'loss-weighting';
  weigh(input: StepInput): LossWeightingResult;
  /** FAMO: called after the update with the same batch's losses re-evaluated. */
  afterStep?(input: StepInput, lossesAfter: Float64Array): void;
}

export interface GradientAggregationMethod extends MethodBase {
  readonly kind: 'gradient-aggregation';
  aggregate(input: StepInput, grads: TaskGradients): AggregationResult;
  /**
   * Methods with an inner solver (CAGrad, FairGrad): the update from given solver weights, so a
   * replay can check the combination step against a reference solver's weights.
   */
  combineWeights?(input: StepInput, grads: TaskGradients, weights: Float64Array): Float64Array;
}

export type MtlMethod = LossWeightingMethod | GradientAggregationMethod;

export type ParamType = 'number' | 'integer' | 'boolean' | 'enum';

export interface ParamSpec {
  readonly type: ParamType;
  readonly description: string;
  /** Inclusive bounds for numbers. */
  readonly min?: number;
  readonly max?: number;
  /** Exclusive lower bound (e.g. a temperature > 0). */
  readonly gt?: number;
  readonly values?: readonly (string | number)[];
  /** Short name used in the canonical label (defaults to the key). */
  readonly short?: string;
  /** 'non-default': a technical parameter shown in the label only when it differs from its default. */
  readonly label?: 'always' | 'non-default';
  /** The reference implementation's argument name (LibMTL / radarODE-MTL), for replay. */
  readonly reference?: string;
  /** A warm-up epoch W (epochs 0..W are the warm-up): experiment configs require W ≤ epochs − 2. */
  readonly warmup?: boolean;
}

export interface Paper {
  readonly title: string;
  readonly venue: string;
  readonly year: number;
}

export type ParamValues = Readonly<Record<string, number | string | boolean>>;

export interface MethodDefinition<P extends ParamValues = ParamValues> {
  /** kebab-case id, e.g. `aligned-mtl`. */
  readonly id: string;
  readonly displayName: string;
  readonly kind: MethodKind;
  readonly paper: Paper;
  readonly defaults: P;
  readonly params: { readonly [K in keyof P]: ParamSpec };
  readonly capabilities: Capabilities;
  /** Reference class name(s) used in recorded vector files (e.g. `Aligned_MTL`). */
  readonly referenceNames: readonly string[];
  /** Build a fresh method for n tasks; params are validated (ConfigError on bad values). */
  create(nTasks: number, params?: Partial<P>): MtlMethod;
}

/** A plugin module as recorded with the runs that use it: its absolute path and the sha256 of its content. */
export interface PluginRef {
  readonly path: string;
  readonly sha256: string;
}
