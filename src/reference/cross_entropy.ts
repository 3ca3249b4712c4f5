/**
 * Softmax cross-entropy with label smoothing, class weights and z-loss, and its gradient, in plain
 * double precision (docs/spec.md "crossEntropy" plus its rules for edge cases).
 *
 * Per row i with log-softmax ℓ (over the unmasked classes V, K' = |V|) and weighted target r
 * (the coefficient of −ℓ_j in the row loss):
 *   CE_i = Σ_{j∈V} r_j·(−ℓ_j),   Z_i = λ·lse_i²,   L_i = CE_i + Z_i
 *   ∂L_i/∂z_j = s·((Σ_k r_k)·p_j − r_j) + zs·2λ·lse_i·p_j   (0 on masked classes)
 * with s = 1/D, zs = 1/n under 'mean' (1/N and 1/N for probability targets), else s = zs = 1.
 *
 * Edge rules:
 * - label = ignoreIndex: L_i = 0, gradient row 0 (whatever the logits).
 * - a NaN or +Infinity logit in a non-ignored row: L_i = NaN, gradient row NaN
 *   (checked first, so it wins over the masked-target rule).
 * - index target on a masked class (including an all-masked row): L_i = +Infinity, gradient row
 *   NaN, whatever ε and the weights.
 * - probability targets on an all-masked row: L_i = NaN, gradient row NaN.
 * - 'mean' with D = 0 (index targets) or N = 0 (probability targets): loss 0, gradient all 0.
 */
import { rowCount, rowSoftmax } from "./softmax.js";
import { checkLabel, smoothedIndexTarget } from "./smooth.js";
import type { CrossEntropyOptions, LossResult, NumericArray, Reduction, TargetKind } from "./types.js";
import { focalCrossEntropy } from "./focal.js";

/**
 * Decides whether `target` holds class indices or probabilities. An explicit `targetKind` wins;
 * otherwise Int32Array → indices, Float32Array/Float64Array → probabilities, and a plain array
 * → probabilities when its length is N·K with K > 1, else indices.
 */
export function resolveTargetKind(target: NumericArray, N: number, K: number, explicit: TargetKind | undefined): TargetKind {
  if (explicit !== undefined) return explicit;
  if (target instanceof Int32Array) return "index";
  if (target instanceof Float32Array || target instanceof Float64Array) return "probability";
  return K > 1 && target.length === N * K ? "probability" : "index";
}

/** Per-row pieces before the reduction is applied. */
interface RowPieces {
  /** CE_i (the class-weighted, smoothed cross-entropy). */
  ce: Float64Array;
  /** Z_i = λ·lse_i². */
  z: Float64Array;
  /** (Σr)·p_j − r_j, row-major N·K. */
  gradCe: Float64Array;
  /** 2λ·lse_i·p_j, row-major N·K. */
  gradZ: Float64Array;
}

function newPieces(N: number, K: number): RowPieces {
  return {
    ce: new Float64Array(N),
    z: new Float64Array(N),
    gradCe: new Float64Array(N * K),
    gradZ: new Float64Array(N * K),
  };
}

/** Marks row i as "no finite answer": loss `loss`, gradient row NaN. */
function poisonRow(pieces: RowPieces, i: number, K: number, loss: number): void {
  pieces.ce[i] = loss;
  pieces.z[i] = 0;
  pieces.gradCe.fill(NaN, i * K, (i + 1) * K);
  pieces.gradZ.fill(NaN, i * K, (i + 1) * K);
}

/** Fills row i from its log-softmax, its weighted target r and λ. */
function fillRow(
  pieces: RowPieces,
  i: number,
  K: number,
  logp: Float64Array,
  p: Float64Array,
  masked: boolean[],
  lse: number,
  r: Float64Array,
  lambda: number,
): void {
  let ce = 0;
  let rSum = 0;
  for (let j = 0; j < K; j++) {
    if (masked[j]) continue; // r_j = 0 there; skip to avoid 0·(−∞)
    ce += r[j]! * -logp[j]!;
    rSum += r[j]!;
  }
  pieces.ce[i] = ce;
  pieces.z[i] = lambda * lse * lse;
  for (let j = 0; j < K; j++) {
    if (masked[j]) continue; // gradient 0 on masked classes
    pieces.gradCe[i * K + j] = rSum * p[j]! - r[j]!;
    pieces.gradZ[i * K + j] = 2 * lambda * lse * p[j]!;
  }
}

/** Applies the reduction: loss = s·ΣCE + zs·ΣZ (or per row), grad = s·gradCe + zs·gradZ. */
function reduce(pieces: RowPieces, reduction: Reduction, s: number, zs: number, wantGrad: boolean): LossResult {
  const N = pieces.ce.length;
  let loss: number | Float64Array;
  if (reduction === "none") {
    const rows = new Float64Array(N);
    for (let i = 0; i < N; i++) rows[i] = pieces.ce[i]! + pieces.z[i]!;
    loss = rows;
  } else {
    let ceSum = 0;
    let zSum = 0;
    for (let i = 0; i < N; i++) {
      ceSum += pieces.ce[i]!;
      zSum += pieces.z[i]!;
    }
    loss = s * ceSum + zs * zSum;
  }
  let grad: Float64Array | null = null;
  if (wantGrad) {
    grad = new Float64Array(pieces.gradCe.length);
    for (let e = 0; e < grad.length; e++) {
      grad[e] = s * pieces.gradCe[e]! + zs * pieces.gradZ[e]!;
    }
  }
  return { loss, grad };
}

/** The result for a 'mean' over nothing (D = 0 or N = 0): loss 0 and a zero gradient. */
function emptyMean(N: number, K: number, wantGrad: boolean): LossResult {
  return { loss: 0, grad: wantGrad ? new Float64Array(N * K) : null };
}

export function crossEntropy(logits: NumericArray, target: NumericArray, options: CrossEntropyOptions): LossResult {
  if (options.focal !== undefined) return focalCrossEntropy(logits, target, { ...options, focal: options.focal });
  const K = options.classes;
  const N = rowCount(logits.length, K);
  const kind = resolveTargetKind(target, N, K, options.targetKind);
  return kind === "index" ? indexCrossEntropy(logits, target, N, K, options) : probabilityCrossEntropy(logits, target, N, K, options);
}

function indexCrossEntropy(logits: NumericArray, labels: NumericArray, N: number, K: number, options: CrossEntropyOptions): LossResult {
  const epsilon = options.smoothing ?? 0;
  const mode = options.smoothingMode ?? "uniform";
  const reduction = options.reduction ?? "mean";
  const ignoreIndex = options.ignoreIndex ?? -100;
  const weights = options.classWeights;
  const weightMode = options.classWeightMode ?? "pytorch";
  const lambda = options.zLoss ?? 0;
  const wantGrad = options.grad ?? true;
  if (labels.length !== N) {
    throw new RangeError(`expected ${N} labels, received ${labels.length}`);
  }
  const w = (j: number): number => (weights ? Number(weights[j]) : 1);

  const pieces = newPieces(N, K);
  let D = 0; // Σ over non-ignored rows of w_{y_i}
  let n = 0; // number of non-ignored rows
  for (let i = 0; i < N; i++) {
    const y = Number(labels[i]);
    checkLabel(y, i, K, ignoreIndex);
    if (y === ignoreIndex) continue; // loss 0, gradient row 0 (already zero)
    D += w(y);
    n += 1;
    const row = rowSoftmax(logits, i, K);
    if (row.status === "nonFinite") {
      poisonRow(pieces, i, K, NaN);
      continue;
    }
    if (row.masked[y]) {
      // covers the all-masked row too
      poisonRow(pieces, i, K, Infinity);
      continue;
    }
    const valid = row.masked.map((isMasked) => !isMasked);
    const q = smoothedIndexTarget(y, valid, epsilon, mode);
    // Weighted target r. 'pytorch': r_j = w_j·q_j, which is exactly
    //   (1−ε)·w_y·(−ℓ_y) + (ε/K')·Σ_{j∈V} w_j·(−ℓ_j)      ('uniform')
    //   (1−ε)·w_y·(−ℓ_y) + ε/(K'−1)·Σ_{j∈V,j≠y} w_j·(−ℓ_j) ('others'; w_y·(−ℓ_y) when K' = 1)
    // 'target': r_j = w_y·q_j.
    const r = new Float64Array(K);
    for (let j = 0; j < K; j++) {
      r[j] = weights === undefined ? q[j]! : weightMode === "target" ? w(y) * q[j]! : w(j) * q[j]!;
    }
    fillRow(pieces, i, K, row.logp, row.p, row.masked, row.lse, r, lambda);
  }

  if (reduction === "mean") {
    if (D === 0) return emptyMean(N, K, wantGrad);
    return reduce(pieces, reduction, 1 / D, 1 / n, wantGrad);
  }
  return reduce(pieces, reduction, 1, 1, wantGrad);
}

function probabilityCrossEntropy(logits: NumericArray, t: NumericArray, N: number, K: number, options: CrossEntropyOptions): LossResult {
  const epsilon = options.smoothing ?? 0;
  const reduction = options.reduction ?? "mean";
  const weights = options.classWeights;
  const lambda = options.zLoss ?? 0;
  const wantGrad = options.grad ?? true;
  if (t.length !== N * K) {
    throw new RangeError(`expected ${N * K} target probabilities, received ${t.length}`);
  }
  if (options.ignoreIndex !== undefined) {
    throw new RangeError("ignoreIndex applies to class-index targets only");
  }
  if (options.smoothingMode === "others") {
    throw new RangeError("smoothingMode 'others' applies to class-index targets only");
  }
  if (options.classWeightMode === "target") {
    throw new RangeError("classWeightMode 'target' applies to class-index targets only");
  }

  const pieces = newPieces(N, K);
  for (let i = 0; i < N; i++) {
    const row = rowSoftmax(logits, i, K);
    if (row.status !== "ok") {
      poisonRow(pieces, i, K, NaN); // NaN/+Inf logit, or every class masked
      continue;
    }
    // q_j = (1−ε)·t_j + ε/K' on unmasked classes (t_j ignored on masked ones), r_j = w_j·q_j
    const r = new Float64Array(K);
    for (let j = 0; j < K; j++) {
      if (row.masked[j]) continue;
      const q = (1 - epsilon) * Number(t[i * K + j]) + epsilon / row.validCount;
      r[j] = (weights ? Number(weights[j]) : 1) * q;
    }
    fillRow(pieces, i, K, row.logp, row.p, row.masked, row.lse, r, lambda);
  }

  if (reduction === "mean") {
    if (N === 0) return emptyMean(N, K, wantGrad);
    return reduce(pieces, reduction, 1 / N, 1 / N, wantGrad);
  }
  return reduce(pieces, reduction, 1, 1, wantGrad);
}
