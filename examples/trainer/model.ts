/**
 * The two models, written as plain f32 loops: softmax regression (x·W + b) and a one-hidden-layer
 * MLP (relu(x·W1 + b1)·W2 + b2). Inputs are the dataset's bytes, scaled by 1/255 on the fly.
 *
 * MNIST images are ~80% zero pixels, so the first layer walks only the non-zero inputs of each row
 * (its forward product and its weight gradient are sums over x_i ≠ 0): the same numbers as the
 * dense product, about five times fewer operations. Weights are row-major `fanIn × fanOut`, so each
 * non-zero input touches one contiguous row of W.
 *
 * The loss and its gradient with respect to the logits are not here: the trainer gets them from
 * softxent's crossEntropy and hands the gradient to `backward`.
 */
import { normal, type Rng } from "./rng.js";

export type ModelKind = "softmax" | "mlp";

export interface ModelShape {
  kind: ModelKind;
  features: number;
  classes: number;
  /** Hidden units of the MLP (ignored for softmax regression). */
  hidden: number;
}

/** A batch: rows `rows[0..count)` of a byte matrix with `features` columns. */
export interface Batch {
  pixels: Uint8Array;
  features: number;
  rows: ArrayLike<number>;
  count: number;
}

const SCALE = 1 / 255;

export class Model {
  readonly shape: ModelShape;
  /** Parameters and their gradients, in matching order: [W, b] or [W1, b1, W2, b2]. */
  readonly params: Float32Array[];
  readonly grads: Float32Array[];
  /** Hidden activations of the last forward pass (MLP), `count × hidden`. */
  private hiddenOut = new Float32Array(0);
  private hiddenGrad = new Float32Array(0);

  constructor(shape: ModelShape, rng: Rng) {
    this.shape = shape;
    const { features: d, classes: k, hidden: h } = shape;
    if (shape.kind === "softmax") {
      this.params = [randn(d * k, 0.01, rng), new Float32Array(k)];
    } else {
      // He initialisation for the relu layer, Glorot-like for the output layer.
      this.params = [randn(d * h, Math.sqrt(2 / d), rng), new Float32Array(h), randn(h * k, Math.sqrt(1 / h), rng), new Float32Array(k)];
    }
    this.grads = this.params.map((p) => new Float32Array(p.length));
  }

  /** Number of trainable values. */
  get size(): number {
    return this.params.reduce((s, p) => s + p.length, 0);
  }

  describe(): string {
    const { kind, features, classes, hidden } = this.shape;
    return kind === "softmax" ? `softmax regression ${features}→${classes}` : `MLP ${features}→${hidden}→${classes} (relu)`;
  }

  /** Writes the `count × classes` logits of the batch into `logits`. */
  forward(batch: Batch, logits: Float32Array): void {
    const { classes: k, hidden: h, kind } = this.shape;
    if (kind === "softmax") {
      affineSparse(batch, this.params[0]!, this.params[1]!, k, logits);
      return;
    }
    const n = batch.count;
    if (this.hiddenOut.length < n * h) {
      this.hiddenOut = new Float32Array(n * h);
      this.hiddenGrad = new Float32Array(n * h);
    }
    const a = this.hiddenOut;
    affineSparse(batch, this.params[0]!, this.params[1]!, h, a);
    for (let i = 0; i < n * h; i++) if (a[i]! < 0) a[i] = 0;
    affineDense(a, n, h, this.params[2]!, this.params[3]!, k, logits);
  }

  /**
   * Sets `grads` to the gradient of the loss for the batch of the last `forward`, given
   * `dLogits` = ∂loss/∂logits (`count × classes`, already divided by the batch size by the loss).
   */
  backward(batch: Batch, dLogits: Float32Array): void {
    const { classes: k, hidden: h, kind } = this.shape;
    for (const g of this.grads) g.fill(0);
    if (kind === "softmax") {
      weightGradSparse(batch, dLogits, k, this.grads[0]!, this.grads[1]!);
      return;
    }
    const n = batch.count;
    const a = this.hiddenOut;
    const da = this.hiddenGrad;
    const w2 = this.params[2]!;
    const gW2 = this.grads[2]!;
    const gb2 = this.grads[3]!;
    for (let r = 0; r < n; r++) {
      const ar = r * h;
      const dr = r * k;
      for (let c = 0; c < k; c++) gb2[c]! += dLogits[dr + c]!;
      for (let j = 0; j < h; j++) {
        const aj = a[ar + j]!;
        let s = 0;
        const wRow = j * k;
        for (let c = 0; c < k; c++) {
          const d = dLogits[dr + c]!;
          s += w2[wRow + c]! * d;
          if (aj !== 0) gW2[wRow + c]! += aj * d;
        }
        da[ar + j] = aj > 0 ? s : 0; // relu'
      }
    }
    weightGradSparse(batch, da, h, this.grads[0]!, this.grads[1]!);
  }

  /** Logits for a whole dataset (`count × classes`), in chunks of `chunk` rows. */
  predict(pixels: Uint8Array, count: number, chunk = 256): Float32Array {
    const k = this.shape.classes;
    const out = new Float32Array(count * k);
    const rows = new Int32Array(chunk);
    for (let start = 0; start < count; start += chunk) {
      const m = Math.min(chunk, count - start);
      for (let r = 0; r < m; r++) rows[r] = start + r;
      this.forward({ pixels, features: this.shape.features, rows, count: m }, out.subarray(start * k, (start + m) * k));
    }
    return out;
  }
}

function randn(length: number, std: number, rng: Rng): Float32Array {
  const a = new Float32Array(length);
  for (let i = 0; i < length; i++) a[i] = std * normal(rng);
  return a;
}

/** out[r, :] = b + Σ_{x_i ≠ 0} x_i · W[i, :] for each row r of the batch; W is `features × width`. */
function affineSparse(batch: Batch, w: Float32Array, b: Float32Array, width: number, out: Float32Array): void {
  const { pixels, features: d, rows, count } = batch;
  for (let r = 0; r < count; r++) {
    const o = r * width;
    out.set(b, o);
    const base = rows[r]! * d;
    for (let i = 0; i < d; i++) {
      const p = pixels[base + i]!;
      if (p === 0) continue;
      const x = p * SCALE;
      const wRow = i * width;
      for (let j = 0; j < width; j++) out[o + j]! += x * w[wRow + j]!;
    }
  }
}

/** gW[i, :] += x_i · delta[r, :] over the non-zero inputs, gb += Σ_r delta[r, :]. */
function weightGradSparse(batch: Batch, delta: Float32Array, width: number, gW: Float32Array, gb: Float32Array): void {
  const { pixels, features: d, rows, count } = batch;
  for (let r = 0; r < count; r++) {
    const o = r * width;
    for (let j = 0; j < width; j++) gb[j]! += delta[o + j]!;
    const base = rows[r]! * d;
    for (let i = 0; i < d; i++) {
      const p = pixels[base + i]!;
      if (p === 0) continue;
      const x = p * SCALE;
      const wRow = i * width;
      for (let j = 0; j < width; j++) gW[wRow + j]! += x * delta[o + j]!;
    }
  }
}

/** out[r, :] = b + a[r, :] · W for a dense `n × fanIn` input; W is `fanIn × width`. */
function affineDense(a: Float32Array, n: number, fanIn: number, w: Float32Array, b: Float32Array, width: number, out: Float32Array): void {
  for (let r = 0; r < n; r++) {
    const o = r * width;
    out.set(b, o);
    const ar = r * fanIn;
    for (let i = 0; i < fanIn; i++) {
      const x = a[ar + i]!;
      if (x === 0) continue; // relu zeros
      const wRow = i * width;
      for (let j = 0; j < width; j++) out[o + j]! += x * w[wRow + j]!;
    }
  }
}
