// The peer users write by hand: label-smoothed softmax cross-entropy (mean over rows) and its
// gradient in plain JavaScript over Float32Arrays, three passes per row (max; exp and sum, keeping
// exp(z − m) in the gradient buffer; scale and subtract the target), Math.exp, f64 accumulators.
// It writes into a caller-supplied gradient array, so the bench times it at its best (no allocation).

/** Returns the mean loss; writes ∂loss/∂z into `grad` (length N·K). */
export function plainCrossEntropy(
  logits: Float32Array,
  labels: Int32Array,
  classes: number,
  smoothing: number,
  grad: Float32Array,
): number {
  const n = labels.length,
    k = classes;
  const on = 1 - smoothing,
    off = smoothing / k,
    invN = 1 / n;
  let total = 0;
  for (let i = 0; i < n; i++) {
    const row = i * k,
      y = labels[i]!;
    let m = -Infinity;
    for (let j = row; j < row + k; j++) {
      const v = logits[j]!;
      if (v > m) m = v;
    }
    let sum = 0,
      sumZ = 0;
    for (let j = row; j < row + k; j++) {
      const v = logits[j]!;
      const e = Math.exp(v - m);
      grad[j] = e;
      sum += e;
      sumZ += v;
    }
    // −Σ q_j (z_j − lse) with Σ q_j = 1.
    total += m + Math.log(sum) - on * logits[row + y]! - off * sumZ;
    const scale = invN / sum,
      shift = off * invN;
    for (let j = row; j < row + k; j++) grad[j] = grad[j]! * scale - shift;
    grad[row + y] = grad[row + y]! - on * invN;
  }
  return total * invN;
}
