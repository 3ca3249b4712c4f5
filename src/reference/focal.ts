/**
 * Focal losses in double precision (docs/spec.md "focal"): the softmax focal loss (Lin et al. 2017,
 * Keras's CategoricalFocalCrossentropy, Mukhoti et al. 2020's FLSD-53 schedule) as an option of
 * crossEntropy, and the sigmoid focal loss (torchvision's sigmoid_focal_loss, Keras's
 * BinaryFocalCrossentropy) as an option of sigmoidCrossEntropy.
 *
 * Softmax, per row with the weighted smoothed target r (crossEntropy's coefficient of −ℓ_j), α_j the
 * focal weight, u_j = 1 − p_j and nl_j = −ℓ_j:
 *   L_i = Σ_j α_j·r_j·u_j^γ·nl_j
 *   a_j = α_j·r_j·u_j^γ·(1 + γ·p_j·nl_j/u_j)          (= −∂(row loss)/∂ℓ-ish weight; a_j → α_j r_j at γ = 0)
 *   ∂L_i/∂z_k = s·(p_k·Σ_j a_j − a_k) + zs·2λ·lse·p_k
 * u is formed without cancellation: the row's first maximum j* has u = Σ_{k≠j*} e_k / S and
 * nl = log1p(Σ_{k≠j*} e_k); every other class has p ≤ ½, where 1 − p is exact enough. nl/u → 1 as
 * u → 0 (confident rows), so the gradient stays finite where u^γ underflows.
 * FLSD-53: γ = 5 where the true class's probability is below 0.2, else 3 — the labelled class for index
 * targets, the class with the largest target probability (the first on ties) for probability targets.
 *
 * Sigmoid, per element with t' = t·(1−ε) + ε/2, σ = σ(x), σ̄ = σ(−x):
 *   F = 1 − p_t = t'·σ̄ + (1−t')·σ,   bce = pw·t'·softplus(−x) + (1−t')·softplus(x)
 *   α_t = α·t' + (1−α)·(1−t') when alpha is given, else 1
 *   ℓ = α_t·F^γ·bce,   ∂ℓ/∂x = α_t·F^γ·(γ·(1−2t')·σσ̄/F·bce + σ·(1−t'+pw·t') − pw·t')
 * with σσ̄/F ≤ 1 (its limit σ or σ̄ where F underflows to 0).
 */
import { rowCount } from "./softmax.js";
import { checkLabel } from "./smooth.js";
import { resolveTargetKind } from "./cross_entropy.js";
import { sigmoid, softplus } from "./sigmoid.js";
import type { CrossEntropyOptions, FocalOptions, LossResult, NumericArray, SigmoidCrossEntropyOptions } from "./types.js";

/** γ of a row: the number, or FLSD-53's 5 / 3 by the true class's probability. */
export function focalGamma(gamma: FocalOptions["gamma"], pTrue: number): number {
  if (gamma === "flsd-53") return pTrue < 0.2 ? 5 : 3;
  return gamma;
}

/** α_j of the softmax focal loss: a number (default 1) or one per class. */
function alphaOf(focal: FocalOptions, j: number): number {
  const a = focal.alpha;
  if (a === undefined) return 1;
  return typeof a === "number" ? a : Number(a[j]);
}

interface FocalRow {
  loss: number;
  /** ∂L_i/∂z_j before the reduction scales: ce part (p_j·Σa − a_j) and the z-loss part 2λ·lse·p_j. */
  gradCe: Float64Array;
  gradZ: Float64Array;
  z: number;
}

/**
 * One finite row with at least one unmasked class: z the row's logits, r the weighted target (0 on
 * masked classes), `trueClass` the class whose p picks FLSD's γ.
 */
function focalRow(z: Float64Array, r: Float64Array, focal: FocalOptions, trueClass: number, lambda: number): FocalRow {
  const K = z.length;
  let m = -Infinity;
  let jStar = -1;
  for (let j = 0; j < K; j++) {
    if (z[j]! > m) {
      m = z[j]!;
      jStar = j;
    }
  }
  const e = new Float64Array(K);
  for (let j = 0; j < K; j++) e[j] = z[j] === -Infinity ? 0 : Math.exp(z[j]! - m);
  let rest = 0; // Σ_{k≠j*} e_k, in class order
  for (let j = 0; j < K; j++) if (j !== jStar) rest += e[j]!;
  const S = 1 + rest;
  const logS = Math.log1p(rest);
  const lse = m + logS;
  const p = new Float64Array(K);
  const u = new Float64Array(K);
  const nl = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    if (z[j] === -Infinity) continue;
    p[j] = e[j]! / S;
    if (j === jStar) {
      u[j] = rest / S;
      nl[j] = logS;
    } else {
      u[j] = 1 - p[j]!;
      nl[j] = logS - (z[j]! - m);
    }
  }
  const gamma = focalGamma(focal.gamma, p[trueClass]!);
  let loss = 0;
  let aSum = 0;
  const a = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    if (z[j] === -Infinity || r[j] === 0) continue;
    const c = alphaOf(focal, j) * r[j]!;
    const f = u[j]! ** gamma;
    loss += c * f * nl[j]!;
    // nl/u → S·log1p(rest)/rest → 1 as u → 0 (only the row max can get there)
    const rho = u[j]! > 0 ? nl[j]! / u[j]! : 1;
    a[j] = c * f * (1 + gamma * p[j]! * rho);
    aSum += a[j]!;
  }
  const gradCe = new Float64Array(K);
  const gradZ = new Float64Array(K);
  for (let j = 0; j < K; j++) {
    if (z[j] === -Infinity) continue;
    gradCe[j] = p[j]! * aSum - a[j]!;
    gradZ[j] = 2 * lambda * lse * p[j]!;
  }
  return { loss, gradCe, gradZ, z: lambda === 0 ? 0 : lambda * lse * lse };
}

type FocalCeOptions = CrossEntropyOptions & { focal: FocalOptions };

/** crossEntropy with `focal` (dispatched to from the reference crossEntropy). */
export function focalCrossEntropy(logits: NumericArray, target: NumericArray, options: FocalCeOptions): LossResult {
  const K = options.classes;
  const N = rowCount(logits.length, K);
  const kind = resolveTargetKind(target, N, K, options.targetKind);
  const focal = options.focal;
  const epsilon = options.smoothing ?? 0;
  const mode = options.smoothingMode ?? "uniform";
  const reduction = options.reduction ?? "mean";
  const ignoreIndex = options.ignoreIndex ?? -100;
  const weights = options.classWeights;
  const weightMode = options.classWeightMode ?? "pytorch";
  const lambda = options.zLoss ?? 0;
  const wantGrad = options.grad ?? true;
  const w = (j: number): number => (weights ? Number(weights[j]) : 1);
  const index = kind === "index";
  if (index ? target.length !== N : target.length !== N * K) {
    throw new RangeError(`expected ${index ? N : N * K} targets, received ${target.length}`);
  }

  const ce = new Float64Array(N);
  const zl = new Float64Array(N);
  const gradCe = new Float64Array(N * K);
  const gradZ = new Float64Array(N * K);
  let D = 0;
  let n = 0;
  for (let i = 0; i < N; i++) {
    const z = new Float64Array(K);
    let nonFinite = false;
    let valid = 0;
    for (let j = 0; j < K; j++) {
      z[j] = Number(logits[i * K + j]);
      if (Number.isNaN(z[j]!) || z[j] === Infinity) nonFinite = true;
      else if (z[j] !== -Infinity) valid++;
    }
    const r = new Float64Array(K);
    let trueClass: number;
    if (index) {
      const y = Number(target[i]);
      checkLabel(y, i, K, ignoreIndex);
      if (y === ignoreIndex) continue;
      D += w(y);
      n += 1;
      if (nonFinite || z[y] === -Infinity) {
        ce[i] = nonFinite ? NaN : Infinity;
        gradCe.fill(NaN, i * K, (i + 1) * K);
        continue;
      }
      // smoothed target over the unmasked classes (docs/spec.md "crossEntropy")
      for (let j = 0; j < K; j++) {
        if (z[j] === -Infinity) continue;
        let q: number;
        if (mode === "uniform") q = (1 - epsilon) * (j === y ? 1 : 0) + epsilon / valid;
        else if (valid === 1) q = j === y ? 1 : 0;
        else q = j === y ? 1 - epsilon : epsilon / (valid - 1);
        r[j] = weights === undefined ? q : weightMode === "target" ? w(y) * q : w(j) * q;
      }
      trueClass = y;
    } else {
      if (nonFinite || valid === 0) {
        ce[i] = NaN;
        gradCe.fill(NaN, i * K, (i + 1) * K);
        continue;
      }
      trueClass = 0;
      for (let j = 0; j < K; j++) {
        const t = Number(target[i * K + j]);
        if (t > Number(target[i * K + trueClass])) trueClass = j;
        if (z[j] === -Infinity) continue;
        r[j] = w(j) * ((1 - epsilon) * t + epsilon / valid);
      }
    }
    const row = focalRow(z, r, focal, trueClass, lambda);
    ce[i] = row.loss;
    zl[i] = row.z;
    gradCe.set(row.gradCe, i * K);
    gradZ.set(row.gradZ, i * K);
  }

  let s = 1;
  let zs = 1;
  if (reduction === "mean") {
    const d = index ? D : N;
    if (d === 0) return { loss: 0, grad: wantGrad ? new Float64Array(N * K) : null };
    s = 1 / d;
    zs = index ? 1 / n : 1 / N;
  }
  let loss: number | Float64Array;
  if (reduction === "none") {
    loss = new Float64Array(N);
    for (let i = 0; i < N; i++) loss[i] = ce[i]! + zl[i]!;
  } else {
    let a = 0;
    let b = 0;
    for (let i = 0; i < N; i++) {
      a += ce[i]!;
      b += zl[i]!;
    }
    loss = s * a + zs * b;
  }
  let grad: Float64Array | null = null;
  if (wantGrad) {
    grad = new Float64Array(N * K);
    for (let e = 0; e < N * K; e++) grad[e] = s * gradCe[e]! + zs * gradZ[e]!;
  }
  return { loss, grad };
}

/** One element of the sigmoid focal loss: [loss, ∂loss/∂x]. */
export function sigmoidFocalElement(x: number, t: number, epsilon: number, pw: number, focal: FocalOptions): [number, number] {
  if (!Number.isFinite(x)) return [NaN, NaN];
  if (focal.gamma === "flsd-53") throw new RangeError("the sigmoid focal loss takes a numeric gamma");
  const gamma = focal.gamma;
  const tp = t * (1 - epsilon) + epsilon / 2;
  const s = sigmoid(x);
  const sn = sigmoid(-x);
  const F = tp * sn + (1 - tp) * s;
  const bce = pw * tp * softplus(-x) + (1 - tp) * softplus(x);
  const alpha = focal.alpha;
  if (alpha !== undefined && typeof alpha !== "number") throw new RangeError("the sigmoid focal loss takes a numeric alpha");
  const at = alpha === undefined ? 1 : alpha * tp + (1 - alpha) * (1 - tp);
  const f = F ** gamma;
  const R = F > 0 ? (s * sn) / F : tp >= 0.5 ? s : sn;
  const dbce = s * (1 - tp + pw * tp) - pw * tp;
  return [at * f * bce, at * f * (gamma * (1 - 2 * tp) * R * bce + dbce)];
}

/** sigmoidCrossEntropy with `focal` (dispatched to from the reference sigmoidCrossEntropy). */
export function sigmoidFocalCrossEntropy(
  logits: NumericArray,
  targets: NumericArray,
  options: SigmoidCrossEntropyOptions & { focal: FocalOptions },
): LossResult {
  const epsilon = options.smoothing ?? 0;
  const reduction = options.reduction ?? "mean";
  const wantGrad = options.grad ?? true;
  const posWeight = options.posWeight;
  const count = logits.length;
  if (targets.length !== count) throw new RangeError(`expected ${count} targets, received ${targets.length}`);
  const K = options.classes ?? 1;
  if (posWeight !== undefined && posWeight.length !== K) throw new RangeError(`posWeight must have length ${K}`);
  const el = new Float64Array(count);
  const eg = new Float64Array(count);
  for (let e = 0; e < count; e++) {
    const pw = posWeight === undefined ? 1 : Number(posWeight[e % K]);
    [el[e], eg[e]] = sigmoidFocalElement(Number(logits[e]), Number(targets[e]), epsilon, pw, options.focal);
  }
  let scale = 1;
  let loss: number | Float64Array;
  if (reduction === "none") loss = el;
  else {
    if (reduction === "mean") {
      if (count === 0) return { loss: 0, grad: wantGrad ? new Float64Array(0) : null };
      scale = 1 / count;
    }
    let sum = 0;
    for (let e = 0; e < count; e++) sum += el[e]!;
    loss = sum * scale;
  }
  let grad: Float64Array | null = null;
  if (wantGrad) {
    grad = new Float64Array(count);
    for (let e = 0; e < count; e++) grad[e] = eg[e]! * scale;
  }
  return { loss, grad };
}
