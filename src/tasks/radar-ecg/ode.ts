/**
 * The ECG dynamical model of radarODE (McSharry-style, as in radarODE-MTL's ODE_solver.py),
 * integrated by explicit Euler inside the graph: reference §7.
 *
 *   dx/dt = αx − ωy, dy/dt = αy + ωx, α = 1 − √(x² + y²), ω = 2π/1.0011
 *   dz/dt = −Σ_{i∈P,Q,R,S,T} a_i Δθ_i exp(−Δθ_i² / (2 b_i²)) − (z − z0(t)),  z0(t) = 0.005 sin(2π·0.25·t)
 *   θ = atan2(y, x), Δθ_i = fmod(θ − θ_i, 2π) (truncated, sign-keeping, like torch.fmod)
 *   h = 1/200, 199 steps from (x, y, z) = (−0.41775…, −0.90856…, −0.0045512…), t = 0; the output
 *   is z at the 200 grid points (the initial z included).
 *
 * Evaluation (exactly the Euler iterates, arranged for a tensor library):
 * - x and y do not depend on any learnable quantity, so θ_n is integrated once, in float64, and
 *   enters the graph as a constant;
 * - the z recursion z_{n+1} = (1 − h) z_n + h (z0(t_n) − D_n) is linear, so the 199 steps are one
 *   matrix product z = c − h·D·M with M[m, n] = (1 − h)^(n−1−m) for m < n and a constant c.
 *   The gradient flows to (a_i, b_i, θ_i) through D exactly as through the step-by-step loop.
 *
 * Parameters: the estimator outputs p ∈ (−1, 1)^15 in the order [a_P, b_P, θ_P, a_Q, …, θ_T];
 * η = (1 + p) ⊙ η_default. Defaults (radians for θ): a = (5, −100, 480, −120, 8),
 * b = (0.25, 0.1, 0.1, 0.1, 0.4), θ = (−15°, 25°, 40°, 60°, 135°).
 */
import type * as TF from '@tensorflow/tfjs';
import { linear, type Tf } from './layers.js';

export const ODE_LENGTH = 200;
export const ODE_STEP = 1 / ODE_LENGTH;
export const ODE_OMEGA = (2 * Math.PI) / 1.0011;
export const ODE_INITIAL = [-0.417750770388669, -0.9085616622823985, -0.004551233843726818] as const;
const deg = Math.PI / 180;
/** Default η in the estimator's order [a, b, θ] per wave P, Q, R, S, T. */
export const ODE_DEFAULTS: readonly number[] = [5, 0.25, -15 * deg, -100, 0.1, 25 * deg, 480, 0.1, 40 * deg, -120, 0.1, 60 * deg, 8, 0.4, 135 * deg];

const baselineZ0 = (t: number): number => 0.005 * Math.sin(2 * Math.PI * 0.25 * t);

/** torch.fmod semantics: x − trunc(x/m)·m. */
export function fmod(x: number, m: number): number {
  return x - Math.trunc(x / m) * m;
}

/** The phase θ_n = atan2(y_n, x_n) at the 199 Euler steps (float64). */
export function odePhases(): Float64Array {
  const th = new Float64Array(ODE_LENGTH - 1);
  let x: number = ODE_INITIAL[0];
  let y: number = ODE_INITIAL[1];
  for (let n = 0; n < ODE_LENGTH - 1; n++) {
    th[n] = Math.atan2(y, x);
    const alpha = 1 - Math.sqrt(x * x + y * y);
    const dx = alpha * x - ODE_OMEGA * y;
    const dy = alpha * y + ODE_OMEGA * x;
    x += ODE_STEP * dx;
    y += ODE_STEP * dy;
  }
  return th;
}

/** Direct step-by-step Euler integration for one parameter vector η (15 values); reference for tests. */
export function solveOdeLoop(eta: readonly number[]): Float64Array {
  const z = new Float64Array(ODE_LENGTH);
  let x: number = ODE_INITIAL[0];
  let y: number = ODE_INITIAL[1];
  let zz: number = ODE_INITIAL[2];
  let t = 0;
  z[0] = zz;
  for (let n = 1; n < ODE_LENGTH; n++) {
    const alpha = 1 - Math.sqrt(x * x + y * y);
    const th = Math.atan2(y, x);
    let s = 0;
    for (let i = 0; i < 5; i++) {
      const a = eta[3 * i]!;
      const b = eta[3 * i + 1]!;
      const d = fmod(th - eta[3 * i + 2]!, 2 * Math.PI);
      s += a * d * Math.exp(-(d * d) / (2 * b * b));
    }
    const dx = alpha * x - ODE_OMEGA * y;
    const dy = alpha * y + ODE_OMEGA * x;
    const dz = -s - (zz - baselineZ0(t));
    x += ODE_STEP * dx;
    y += ODE_STEP * dy;
    zz += ODE_STEP * dz;
    t += ODE_STEP;
    z[n] = zz;
  }
  return z;
}

interface OdeConstants {
  theta: Float32Array; // [199]
  m: Float32Array; // [199, 200]
  c: Float32Array; // [200]
}

let constants: OdeConstants | null = null;

function odeConstants(): OdeConstants {
  if (constants) return constants;
  const steps = ODE_LENGTH - 1;
  const decay = 1 - ODE_STEP;
  const m = new Float32Array(steps * ODE_LENGTH);
  const c = new Float32Array(ODE_LENGTH);
  for (let n = 0; n < ODE_LENGTH; n++) {
    let v = Math.pow(decay, n) * ODE_INITIAL[2];
    for (let k = 0; k < n; k++) {
      const w = Math.pow(decay, n - 1 - k);
      m[k * ODE_LENGTH + n] = w;
      v += w * ODE_STEP * baselineZ0(k * ODE_STEP);
    }
    c[n] = v;
  }
  constants = { theta: Float32Array.from(odePhases()), m, c };
  return constants;
}

/** z [B, 200] from the estimator's p [B, 15] ∈ (−1, 1). */
export function solveOde(tf: Tf, p: TF.Tensor2D): TF.Tensor2D {
  const k = odeConstants();
  const b = p.shape[0];
  const eta = tf.reshape(tf.mul(tf.add(p, 1), tf.tensor1d(ODE_DEFAULTS as number[])), [b, 1, 5, 3]);
  const [a, w, th] = tf.split(eta, 3, 3) as [TF.Tensor4D, TF.Tensor4D, TF.Tensor4D]; // [B, 1, 5, 1] each
  const aa = tf.reshape(a, [b, 1, 5]);
  const bb = tf.reshape(w, [b, 1, 5]);
  const ti = tf.reshape(th, [b, 1, 5]);
  const theta = tf.tensor3d(k.theta, [1, ODE_LENGTH - 1, 1]);
  const diff = tf.sub(theta, ti); // [B, 199, 5]
  const q = tf.div(diff, 2 * Math.PI);
  const trunc = tf.mul(tf.sign(q), tf.floor(tf.abs(q)));
  const d = tf.sub(diff, tf.mul(trunc, 2 * Math.PI));
  const gauss = tf.exp(tf.neg(tf.div(tf.square(d), tf.mul(tf.square(bb), 2))));
  const drive = tf.sum(tf.mul(tf.mul(aa, d), gauss), 2) as TF.Tensor2D; // D [B, 199]
  const mm = tf.tensor2d(k.m, [ODE_LENGTH - 1, ODE_LENGTH]);
  return tf.sub(tf.tensor2d(k.c, [1, ODE_LENGTH]), tf.mul(linear(tf, drive, mm, null), ODE_STEP));
}
