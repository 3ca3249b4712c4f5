// The same next-word task as a TF.js Layers model trained with model.fit, its output layer softxent's
// fused head for Layers (softmaxHead from softxent/tfjs, in place of a Dense(V)), over the context
// features of the softxent-trained model (its embeddings E, frozen: hidden = E[w−1] + ½·E[w−2]):
//   hidden (D) → Dense(D, tanh) → softmaxHead(V, smoothing 0.1)
// During a fit step the N×V logits are never a tensor. (The embeddings stay outside the Layers model:
// training a tf.layers.embedding of 20002 rows needs TF.js's UnsortedSegmentSum, which the cpu backend
// runs one segment at a time — minutes per step — and the wasm backend does not have.)
// Shared by Node (train.ts) and the page's worker (browser/worker.ts); the caller passes its `tf` with
// a backend already set.

import type * as TF from "@tensorflow/tfjs";
import { softmaxHead } from "softxent/tfjs";

export interface KerasRun {
  lossBefore: number;
  lossAfter: number;
  /** Mean wall time of a fit call of one batch, the first (warm-up) left out. */
  stepMs: number;
  steps: number;
}

/** `steps` model.fit calls of one batch of `batch` random positions from [lo, hi) each; evaluated on `evalAt`. */
export async function trainKeras(
  tf: typeof TF,
  ids: ArrayLike<number>,
  E: Float32Array,
  o: { vocab: number; dim: number; batch: number; steps: number; lo: number; hi: number; evalAt: ArrayLike<number>; seed?: number },
): Promise<KerasRun> {
  let seed = o.seed ?? 777;
  const rand = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const D = o.dim;
  const head = softmaxHead(tf, { units: o.vocab, smoothing: 0.1 });
  const model = tf.sequential({ layers: [tf.layers.dense({ units: D, activation: "tanh", inputShape: [D] }), head] });
  model.compile({ optimizer: tf.train.sgd(2), loss: head.loss });
  const data = (positions: ArrayLike<number>) => {
    const x = new Float32Array(positions.length * D),
      y = new Int32Array(positions.length);
    for (let i = 0; i < positions.length; i++) {
      const t = positions[i]!,
        e1 = ids[t - 1]! * D,
        e2 = ids[t - 2]! * D;
      for (let k = 0; k < D; k++) x[i * D + k] = E[e1 + k]! + 0.5 * E[e2 + k]!;
      y[i] = ids[t]!;
    }
    return tf.tidy(() => [tf.tensor2d(x, [positions.length, D]), tf.oneHot(tf.tensor1d(y, "int32"), o.vocab)] as const);
  };
  const evaluate = async (): Promise<number> => {
    const [x, y] = data(o.evalAt);
    const loss = model.evaluate(x, y, { batchSize: o.batch }) as TF.Scalar;
    const v = (await loss.data())[0]!;
    tf.dispose([x, y, loss]);
    return v;
  };
  const lossBefore = await evaluate();
  const times: number[] = [];
  for (let s = 0; s < o.steps; s++) {
    const positions = Int32Array.from({ length: o.batch }, () => o.lo + 2 + Math.floor(rand() * (o.hi - o.lo - 2)));
    const [x, y] = data(positions);
    const t0 = performance.now();
    await model.fit(x, y, { batchSize: o.batch, epochs: 1, verbose: 0 });
    times.push(performance.now() - t0);
    tf.dispose([x, y]);
  }
  const lossAfter = await evaluate();
  const timed = times.length > 1 ? times.slice(1) : times;
  model.dispose();
  return { lossBefore, lossAfter, stepMs: timed.reduce((a, b) => a + b, 0) / timed.length, steps: times.length };
}
