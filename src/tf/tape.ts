/**
 * One forward pass, several backward passes. TF.js's public gradient API (tf.grads,
 * tf.variableGrads) re-runs the forward function for every gradient it computes; multi-task
 * gradient methods need one backward pass per task through the same forward graph (PyTorch's
 * retain_graph). This module records the forward pass once on the engine's tape and back-propagates
 * from any recorded tensor, as often as needed, until dispose().
 *
 * It uses the engine's tape hooks (startTape/endTape/state.activeTape), which TF.js 4.x keeps on
 * its Engine class but does not document; `tests/tape.test.ts` pins the behaviour against
 * tf.grads, so an upgrade that changes them fails loudly.
 */
import type * as TF from '@tensorflow/tfjs';
import { UnsupportedError } from '../errors.js';

interface TapeNode {
  readonly id: number;
  readonly kernelName: string;
  readonly inputs: Record<string, TF.Tensor>;
  readonly outputs: TF.Tensor[];
  readonly gradient?: (dys: (TF.Tensor | null)[]) => Record<string, () => TF.Tensor>;
  readonly saved?: TF.Tensor[];
}

interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends TF.TensorContainer>(name: string, f: () => T): T;
}

type Tf = typeof TF;

export class RecordedForward<T extends TF.TensorContainer> {
  private tape: TapeNode[] | null;
  private readonly producer = new Map<number, number>();

  private constructor(
    private readonly tf: Tf,
    readonly outputs: T,
    tape: TapeNode[],
  ) {
    this.tape = tape;
    tape.forEach((node, i) => node.outputs.forEach((o) => this.producer.set(o.id, i)));
  }

  /** Run f once with the tape recording; its returned tensors are kept until dispose(). */
  static record<T extends TF.TensorContainer>(tf: Tf, f: () => T): RecordedForward<T> {
    const engine = tf.engine() as unknown as EngineInternals;
    if (engine.state.gradientDepth !== 0) throw new UnsupportedError('RecordedForward cannot be nested inside another gradient computation');
    let tape: TapeNode[] = [];
    const out = engine.scopedRun(
      () => engine.startTape(),
      () => {
        tape = engine.state.activeTape ?? [];
        engine.endTape();
      },
      () => engine.tidy('forward', f),
    );
    engine.state.activeTape = null;
    return new RecordedForward(tf, out, tape);
  }

  /**
   * Gradients of Σ(dy ⊙ y) with respect to xs (variables or recorded tensors); dy defaults to ones.
   * Returns one tensor per x (zeros where y does not depend on x). The caller owns the results.
   */
  backward(y: TF.Tensor, xs: readonly TF.Tensor[], dy?: TF.Tensor): TF.Tensor[] {
    const tape = this.tape;
    if (!tape) throw new UnsupportedError('backward() after dispose()');
    const tf = this.tf;
    // Nodes reachable from xs (forward) that lead to y (backward).
    const fromX = new Set<number>(xs.map((x) => x.id));
    const nodeFromX = new Set<number>();
    for (const node of tape) {
      for (const name in node.inputs) {
        if (fromX.has((node.inputs[name] as TF.Tensor).id)) {
          nodeFromX.add(node.id);
          for (const o of node.outputs) fromX.add(o.id);
          break;
        }
      }
    }
    const toY = new Set<number>([y.id]);
    const nodeToY = new Set<number>();
    for (let i = tape.length - 1; i >= 0; i--) {
      const node = tape[i] as TapeNode;
      if (node.outputs.some((o) => toY.has(o.id))) {
        nodeToY.add(node.id);
        for (const name in node.inputs) toY.add((node.inputs[name] as TF.Tensor).id);
      }
    }
    return tf.tidy(() => {
      const acc = new Map<number, TF.Tensor>();
      acc.set(y.id, dy ?? tf.onesLike(y));
      for (let i = tape.length - 1; i >= 0; i--) {
        const node = tape[i] as TapeNode;
        if (!nodeFromX.has(node.id) || !nodeToY.has(node.id)) continue;
        if (!node.outputs.some((o) => acc.has(o.id))) continue;
        if (!node.gradient) throw new UnsupportedError(`no gradient registered for kernel ${node.kernelName}`);
        const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
        const inputGrads = node.gradient(dys);
        for (const name in node.inputs) {
          const x = node.inputs[name] as TF.Tensor;
          if (!fromX.has(x.id)) continue;
          const g = inputGrads[name];
          if (!g) throw new UnsupportedError(`kernel ${node.kernelName} has no gradient for its input ${name}`);
          const dx = tf.tidy(g);
          const prev = acc.get(x.id);
          acc.set(x.id, prev ? tf.add(prev, dx) : dx);
        }
      }
      return xs.map((x) => acc.get(x.id) ?? tf.zerosLike(x));
    });
  }

  /** Free the tensors the forward pass saved for back-propagation, and its outputs. */
  dispose(): void {
    if (!this.tape) return;
    for (const node of this.tape) for (const t of node.saved ?? []) t.dispose();
    this.tape = null;
    this.tf.dispose(this.outputs);
  }
}
