/**
 * GradVac: gradient vaccine (adaptive gradient-similarity targets).
 *
 * Paper: Wang, Tsvetkov, Firat and Cao, "Gradient Vaccine: Investigating and Improving Multi-task
 * Optimization in Massively Multilingual Models", ICLR 2021; as implemented in LibMTL `GradVac.py`.
 * Update: the shared vector is split into K groups (whole vector, one per layer, or one per
 * parameter tensor). State ρᵀ ∈ R^{n×n×K}, 0 at the start. pc = G (copy); for each task i, for j in
 * a random order of the other tasks, for each group k (all vectors restricted to the group's slice):
 * ρ = ⟨pc_i, g_j⟩ / (‖pc_i‖ ‖g_j‖ + 1e-8) (pc_i already modified, g_j the original); if ρ < ρᵀ_ijk:
 * w = ‖pc_i‖ (ρᵀ √(1−ρ²) − ρ √(1−ρᵀ²)) / (‖g_j‖ √(1−ρᵀ²) + 1e-8) and pc_i += w g_j; always
 * ρᵀ_ijk ← (1−β) ρᵀ_ijk + β ρ. Output Σ_i pc_i. With the whole vector as one group the output is
 * Σ_j α_j g_j and α is reported as `coefficients`; reported weights are ones (as LibMTL).
 * Hyperparameters:
 * - beta (in [0, 1], default 0.5, LibMTL's default; the paper suggests about 1e-2): EMA rate of ρᵀ.
 * - groupType ('whole' | 'layer' | 'tensor', default 'whole'; LibMTL 0 / 1 / 2, which `create`
 *   also accepts and normalises): the groups, from `grads.groups` for 'layer' and 'tensor'.
 * Draws: the order of the other tasks for task i is `input.draws.shuffleOrders[i]` when given,
 * else `input.rng.shuffle` of the other tasks in increasing order.
 * State: ρᵀ, the group sizes and the step counter (JSON via getState/setState; `referenceState()`
 * gives LibMTL's `rho_T`, `k_idx`, `step`).
 * Deviations: the square roots take max(0, 1 − x²), so a similarity that rounding pushes past ±1
 * (collinear gradients) cannot produce NaN as it can in LibMTL. Rep mode raises an
 * UnsupportedError, as LibMTL raises ValueError.
 */
import { ConfigError, ShapeError, UnsupportedError } from '../src/errors.js';
import { aggregationCaps, canonicalLabel, checkStep, checkTasks, numField, ones, resolveParams } from './common.js';
import { dotRange } from './linalg.js';
import type {
  AggregationResult,
  GradientAggregationMethod,
  JsonObject,
  JsonValue,
  MethodDefinition,
  StepInput,
  TaskGradients,
} from './types.js';

export type GradVacGroupType = 'whole' | 'layer' | 'tensor';

/** LibMTL's `GradVac_group_type` 0 / 1 / 2, in that order. */
export const GRADVAC_GROUP_TYPES: readonly GradVacGroupType[] = ['whole', 'layer', 'tensor'];

export type GradVacParams = {
  /** EMA rate of the similarity targets ρᵀ. */
  readonly beta: number;
  /** How the shared vector is split into groups. */
  readonly groupType: GradVacGroupType;
};

export const gradVacDefinition: MethodDefinition<GradVacParams> = {
  id: 'gradvac',
  displayName: 'GradVac',
  kind: 'gradient-aggregation',
  paper: {
    title: 'Gradient Vaccine: Investigating and Improving Multi-task Optimization in Massively Multilingual Models',
    venue: 'ICLR',
    year: 2021,
  },
  defaults: { beta: 0.5, groupType: 'whole' },
  params: {
    beta: { type: 'number', min: 0, max: 1, description: 'EMA rate of the gradient-similarity targets', short: 'beta', reference: 'GradVac_beta' },
    groupType: {
      type: 'enum',
      values: GRADVAC_GROUP_TYPES,
      description: 'groups of the shared vector: whole (0), layer (1) or tensor (2)',
      short: 'group',
      reference: 'GradVac_group_type',
    },
  },
  capabilities: aggregationCaps({ stateful: true, stochastic: true }),
  referenceNames: ['GradVac'],
  create: (nTasks, params) => createGradVac(nTasks, params),
};

const EPS = 1e-8;

function groupSlices(label: string, groupType: GradVacGroupType, grads: TaskGradients, m: number): (readonly [number, number])[] {
  if (groupType === 'whole') return [[0, m]];
  const slices = grads.groups?.[groupType];
  if (!slices || slices.length === 0) {
    throw new ShapeError(`${label}: parameter groups`, `grads.groups.${groupType} (one [begin, end) slice per ${groupType})`, 'none');
  }
  for (const [b, e] of slices) {
    if (!(Number.isInteger(b) && Number.isInteger(e) && b >= 0 && b <= e && e <= m)) {
      throw new ShapeError(`${label}: group slice [${b}, ${e})`, `a slice of [0, ${m})`, [b, e]);
    }
  }
  return slices.map(([b, e]) => [b, e] as const);
}

function checkOrder(label: string, order: readonly number[], i: number, n: number): void {
  const seen = new Set(order);
  const ok = order.length === n - 1 && seen.size === n - 1 && order.every((j) => Number.isInteger(j) && j >= 0 && j < n && j !== i);
  if (!ok) throw new ConfigError(`${label}: draws.shuffleOrders[${i}]`, order, `a permutation of the tasks other than ${i}`);
}

export function createGradVac(nTasks: number, params?: Partial<GradVacParams>): GradientAggregationMethod {
  checkTasks('gradvac', nTasks);
  // LibMTL's integer codes 0 / 1 / 2 are accepted and normalised to the names.
  const given = params?.groupType as unknown;
  const named = typeof given === 'number' && GRADVAC_GROUP_TYPES[given] ? { ...params, groupType: GRADVAC_GROUP_TYPES[given] } : params;
  const p = resolveParams(gradVacDefinition, named);
  const label = canonicalLabel(gradVacDefinition, p);
  const n = nTasks;
  /** ρᵀ flattened as [i][j][k]; null until the first step fixes the number of groups K. */
  let rhoT: Float64Array | null = null;
  let groupSizes: number[] | null = null;
  let step = 0;

  const rhoJson = (): JsonValue => {
    if (!rhoT || !groupSizes) return null;
    const K = groupSizes.length;
    const r = rhoT;
    return Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Array.from(r.subarray((i * n + j) * K, (i * n + j + 1) * K))));
  };

  return {
    id: 'gradvac',
    kind: 'gradient-aggregation',
    label,
    nTasks,
    getState: (): JsonObject => ({ rhoT: rhoJson(), groupSizes: groupSizes ? [...groupSizes] : null, step }),
    setState(state: JsonObject): void {
      const s = numField(state, 'step');
      const sizes = state.groupSizes;
      const rho = state.rhoT;
      if (sizes === null || rho === null || sizes === undefined || rho === undefined) {
        rhoT = null;
        groupSizes = null;
        step = s;
        return;
      }
      if (!Array.isArray(sizes) || sizes.some((x) => typeof x !== 'number')) throw new ConfigError('gradvac: state.groupSizes', sizes, 'an array of numbers');
      const K = sizes.length;
      const flat = new Float64Array(n * n * K);
      if (!Array.isArray(rho) || rho.length !== n) throw new ShapeError('gradvac: state.rhoT', [n, n, K], 'another shape');
      rho.forEach((row, i) => {
        if (!Array.isArray(row) || row.length !== n) throw new ShapeError('gradvac: state.rhoT', [n, n, K], 'another shape');
        row.forEach((cell, j) => {
          if (!Array.isArray(cell) || cell.length !== K || cell.some((x) => typeof x !== 'number')) {
            throw new ShapeError('gradvac: state.rhoT', [n, n, K], 'another shape');
          }
          flat.set(cell as number[], (i * n + j) * K);
        });
      });
      rhoT = flat;
      groupSizes = sizes as number[];
      step = s;
    },
    learnable: () => null,
    setLearnable: () => {},
    referenceState: (): Record<string, JsonValue> => ({
      rho_T: rhoJson(),
      k_idx: groupSizes ? (p.groupType === 'whole' ? [-1] : [...groupSizes]) : null,
      step,
    }),
    aggregate(input: StepInput, grads: TaskGradients): AggregationResult {
      if (grads.mode !== 'param') {
        throw new UnsupportedError(`${label}: GradVac works on parameter gradients only, not on representation gradients (rep mode)`);
      }
      checkStep('gradvac', n, input, grads);
      const G = grads.G;
      const m = G[0]?.length ?? 0;
      const slices = groupSlices(label, p.groupType, grads, m);
      const K = slices.length;
      const sizes = slices.map(([b, e]) => e - b);
      if (!rhoT || !groupSizes) {
        rhoT = new Float64Array(n * n * K);
        groupSizes = sizes;
      } else if (groupSizes.length !== K || groupSizes.some((s, k) => s !== sizes[k])) {
        throw new ShapeError(`${label}: parameter groups`, groupSizes, sizes);
      }
      const rho = rhoT;
      const pc = G.map((g) => Float64Array.from(g));
      const alpha = ones(n);
      const orders = input.draws?.shuffleOrders;
      for (let i = 0; i < n; i++) {
        let order: readonly number[];
        if (orders) {
          order = orders[i] ?? [];
          checkOrder(label, order, i, n);
        } else {
          const others: number[] = [];
          for (let j = 0; j < n; j++) if (j !== i) others.push(j);
          order = input.rng.shuffle(others);
        }
        const pci = pc[i] as Float64Array;
        for (const j of order) {
          const gj = G[j] as Float64Array;
          for (let k = 0; k < K; k++) {
            const [b, e] = slices[k] as readonly [number, number];
            const normPc = Math.sqrt(dotRange(pci, pci, b, e));
            const normG = Math.sqrt(dotRange(gj, gj, b, e));
            const r = dotRange(pci, gj, b, e) / (normPc * normG + EPS);
            const at = (i * n + j) * K + k;
            const target = rho[at] as number;
            // A zero g_j contributes nothing (w g_j = 0); skipping it keeps α free of LibMTL's huge w.
            if (r < target && normG > 0) {
              const cosT = Math.sqrt(Math.max(0, 1 - target * target));
              const w = (normPc * (target * Math.sqrt(Math.max(0, 1 - r * r)) - r * cosT)) / (normG * cosT + EPS);
              for (let q = b; q < e; q++) pci[q] = (pci[q] as number) + w * (gj[q] as number);
              alpha[j] = (alpha[j] as number) + w;
            }
            rho[at] = (1 - p.beta) * target + p.beta * r;
          }
        }
      }
      step += 1;
      const grad = new Float64Array(m);
      for (const row of pc) for (let q = 0; q < m; q++) grad[q] = (grad[q] as number) + (row[q] as number);
      return {
        grad,
        coefficients: K === 1 && slices[0]?.[0] === 0 && slices[0][1] === m ? alpha : null,
        weights: ones(n),
        headScale: null,
      };
    },
  };
}
