/**
 * Dense smoothed targets q (docs/spec.md crossEntropy "Smoothed target"), all K classes valid.
 */
import type { NumericArray, SmoothTargetsOptions, SmoothingMode } from "./types.js";

/**
 * Smoothed target row for label y over the classes with valid[j] = true (K' of them):
 * - 'uniform': q_j = (1−ε)·[j=y] + ε/K'
 * - 'others':  q_j = (1−ε)·[j=y] + ε/(K'−1)·[j≠y], and q_y = 1 when K' = 1.
 * Invalid (masked) classes get q_j = 0. The label y must be a valid class.
 */
export function smoothedIndexTarget(y: number, valid: boolean[], epsilon: number, mode: SmoothingMode): Float64Array {
  const K = valid.length;
  const q = new Float64Array(K);
  let Kp = 0;
  for (let j = 0; j < K; j++) if (valid[j]) Kp++;
  for (let j = 0; j < K; j++) {
    if (!valid[j]) continue;
    const onTarget = j === y ? 1 : 0;
    if (mode === "uniform") {
      q[j] = (1 - epsilon) * onTarget + epsilon / Kp;
    } else if (Kp === 1) {
      q[j] = onTarget; // 'others' with a single valid class: q_y = 1
    } else {
      q[j] = (1 - epsilon) * onTarget + (onTarget ? 0 : epsilon / (Kp - 1));
    }
  }
  return q;
}

/** Throws a RangeError unless `y` is `ignoreIndex` or an integer class in [0, K). */
export function checkLabel(y: number, row: number, K: number, ignoreIndex: number): void {
  if (y === ignoreIndex) return;
  if (!Number.isInteger(y) || y < 0 || y >= K) {
    throw new RangeError(`labels[${row}] = ${y} is out of range for classes = ${K}`);
  }
}

/**
 * The N·K matrix of smoothed targets for class-index labels. Rows labelled `ignoreIndex`
 * (default −100) are all 0.
 */
export function smoothTargets(labels: NumericArray, options: SmoothTargetsOptions): Float64Array {
  const K = options.classes;
  const epsilon = options.smoothing;
  const mode = options.smoothingMode ?? "uniform";
  const ignoreIndex = options.ignoreIndex ?? -100;
  const N = labels.length;
  const out = new Float64Array(N * K);
  if (N === 0) return out; // nothing proportional to K for an empty batch (K may be anything ≥ 1)
  const allValid: boolean[] = new Array<boolean>(K).fill(true);
  for (let i = 0; i < N; i++) {
    const y = Number(labels[i]);
    checkLabel(y, i, K, ignoreIndex);
    if (y === ignoreIndex) continue;
    out.set(smoothedIndexTarget(y, allValid, epsilon, mode), i * K);
  }
  return out;
}
