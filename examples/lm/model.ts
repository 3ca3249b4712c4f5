// The next-word model of the demo, shared by Node (train.ts) and the browser page (browser/worker.ts):
// hidden = E[w−1] + ½·E[w−2] (input embeddings E, V×D), logits = hidden·Wᵀ + b (W: V×D, PyTorch
// layout 'vd'), plain SGD on E, W and b. The output layer and its loss are softxent's fused head: the
// batch's N×V logits are never held. Small on purpose: the point is the head.

import { linearCrossEntropy } from "softxent";

export interface ModelOptions {
  vocab: number;
  dim: number;
  batch: number;
  lr: number;
  embeddingLr: number;
  seed?: number;
}

export class NextWordModel {
  readonly V: number;
  readonly D: number;
  readonly N: number;
  readonly E: Float32Array;
  readonly W: Float32Array;
  readonly b: Float32Array;
  readonly hidden: Float32Array;
  readonly labels: Int32Array;
  private readonly pos: Int32Array;
  private readonly gradHidden: Float32Array;
  private readonly gradWeight: Float32Array;
  private readonly gradBias: Float32Array;
  private seed: number;

  constructor(
    readonly ids: Int32Array | Uint16Array,
    readonly o: ModelOptions,
  ) {
    this.V = o.vocab;
    this.D = o.dim;
    this.N = o.batch;
    this.seed = o.seed ?? 12345;
    const { V, D, N } = this;
    this.E = Float32Array.from({ length: V * D }, () => 0.1 * this.gauss());
    this.W = Float32Array.from({ length: V * D }, () => 0.02 * this.gauss());
    this.b = new Float32Array(V);
    this.hidden = new Float32Array(N * D);
    this.labels = new Int32Array(N);
    this.pos = new Int32Array(N);
    this.gradHidden = new Float32Array(N * D);
    this.gradWeight = new Float32Array(V * D);
    this.gradBias = new Float32Array(V);
  }

  rand(): number {
    this.seed = (Math.imul(this.seed, 1664525) + 1013904223) >>> 0;
    return this.seed / 2 ** 32;
  }

  private gauss(): number {
    return Math.sqrt(-2 * Math.log(this.rand() + 1e-12)) * Math.cos(2 * Math.PI * this.rand());
  }

  /** A batch of random positions in [lo, hi), or the given ones: hidden rows and next-word labels. */
  batch(lo: number, hi: number, positions?: ArrayLike<number>): void {
    const { D, E, ids } = this;
    for (let i = 0; i < this.N; i++) {
      const t = positions ? positions[i]! : lo + 2 + Math.floor(this.rand() * (hi - lo - 2));
      this.pos[i] = t;
      this.labels[i] = ids[t]!;
      const e1 = ids[t - 1]! * D,
        e2 = ids[t - 2]! * D;
      for (let k = 0; k < D; k++) this.hidden[i * D + k] = E[e1 + k]! + 0.5 * E[e2 + k]!;
    }
  }

  /** Mean loss of the current batch, without gradients. */
  loss(): number {
    return linearCrossEntropy(this.hidden, this.W, this.labels, { classes: this.V, bias: this.b, grad: false }).loss;
  }

  /** One SGD step on a random batch from [lo, hi). Returns the batch loss and the fused head's time. */
  step(lo: number, hi: number): { loss: number; headMs: number } {
    const { V, D, N, W, b, E, ids, gradHidden, gradWeight, gradBias } = this;
    this.batch(lo, hi);
    const t0 = performance.now();
    const { loss } = linearCrossEntropy(this.hidden, W, this.labels, { classes: V, bias: b, gradHidden, gradWeight, gradBias });
    const headMs = performance.now() - t0;
    const lr = this.o.lr,
      elr = this.o.embeddingLr;
    for (let e = 0; e < W.length; e++) W[e]! -= lr * gradWeight[e]!;
    for (let j = 0; j < V; j++) b[j]! -= lr * gradBias[j]!;
    for (let i = 0; i < N; i++) {
      const t = this.pos[i]!,
        e1 = ids[t - 1]! * D,
        e2 = ids[t - 2]! * D;
      for (let k = 0; k < D; k++) {
        const g = elr * gradHidden[i * D + k]!;
        E[e1 + k]! -= g;
        E[e2 + k]! -= 0.5 * g;
      }
    }
    return { loss, headMs };
  }

  /** The `top` likeliest next words after the two words w2 w1 (ids). */
  predict(w2: number, w1: number, top: number): number[] {
    const { D, V, E, W, b } = this;
    const h = new Float32Array(D);
    for (let k = 0; k < D; k++) h[k] = E[w1 * D + k]! + 0.5 * E[w2 * D + k]!;
    const scores = new Float32Array(V);
    for (let j = 0; j < V; j++) {
      let z = b[j]!;
      for (let k = 0; k < D; k++) z += h[k]! * W[j * D + k]!;
      scores[j] = z;
    }
    return Array.from(scores.keys())
      .sort((x, y) => scores[y]! - scores[x]!)
      .slice(0, top);
  }
}

/** The corpus for the page: vocabulary and word ids (< 65536) in one buffer: u32 count, vocab bytes length, vocab, ids. */
export function encodeCorpus(vocab: string[], ids: ArrayLike<number>): Uint8Array {
  const text = new TextEncoder().encode(vocab.join("\n"));
  const out = new Uint8Array(8 + text.length + (text.length % 2) + 2 * ids.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, ids.length, true);
  dv.setUint32(4, text.length, true);
  out.set(text, 8);
  const start = 8 + text.length + (text.length % 2);
  for (let i = 0; i < ids.length; i++) dv.setUint16(start + 2 * i, ids[i]!, true);
  return out;
}

export function decodeCorpus(bytes: Uint8Array): { vocab: string[]; ids: Uint16Array } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = dv.getUint32(0, true),
    textLength = dv.getUint32(4, true);
  const vocab = new TextDecoder().decode(bytes.subarray(8, 8 + textLength)).split("\n");
  const start = 8 + textLength + (textLength % 2);
  const ids = new Uint16Array(count);
  for (let i = 0; i < count; i++) ids[i] = dv.getUint16(start + 2 * i, true);
  return { vocab, ids };
}
