/**
 * Knowledge distillation loss (Hinton et al. 2015) with the T² factor and per-row normalisation,
 * optionally mixed with the label cross-entropy, in double precision.
 *
 * Per row i that is not ignored (rows labelled ignoreIndex are left out of both terms):
 *   KL_i = Σ_j pt_j·(log pt_j − log ps_j),  pt = softmax(t_i/T), ps = softmax(s_i/T)
 *          (terms with pt_j = 0 contribute 0)
 *   row_i = α·T²·KL_i + (1−α)·CE_i       (CE_i: crossEntropy on the raw student logits, no weights)
 *   ∂row_i/∂s_i = α·T·(ps − pt) + (1−α)·∂CE_i/∂s_i
 * At large T the KL term is computed in a form that keeps its digits (kl.ts): T²·KL → ½·Var(t − s)
 * as T → ∞ (per row, uniform weights over the classes), not the noise of two O(1/T) sums.
 * 'mean': Σ row_i / n (n = rows not ignored; n = 0 → loss 0 and a zero gradient);
 * 'sum': Σ row_i; 'none': the row_i, gradient of their sum.
 *
 * Edge rules (choices where docs/spec.md is silent are marked "chosen"):
 * - NaN or +Infinity anywhere in the student or teacher row: row NaN, gradient row NaN.
 * - a class masked in the student (−Infinity) where the teacher probability is > 0: the KL term
 *   is +Infinity; the row loss is +Infinity and its gradient row NaN. This includes a student row
 *   with every class masked.
 * - the CE term's own rules (masked target class → +Infinity / NaN) carry over.
 * - chosen: a teacher row with every class masked has no distribution: row NaN.
 * - chosen: a term whose coefficient is exactly 0 (α = 0 for KL, α = 1 for CE) is not evaluated,
 *   so it cannot make the row +Infinity (0·∞ would otherwise be NaN). NaN/+Infinity logits still
 *   make the row NaN.
 */
import { crossEntropy } from "./cross_entropy.js";
import { rowCount, rowSoftmax } from "./softmax.js";
import { checkLabel } from "./smooth.js";
import { temperedKl } from "./kl.js";
import type { DistillationOptions, LossResult, NumericArray } from "./types.js";

type RowOutcome = "ok" | "infinite" | "nan";

export function distillation(student: NumericArray, teacher: NumericArray, options: DistillationOptions): LossResult {
  const K = options.classes;
  const N = rowCount(student.length, K);
  if (teacher.length !== student.length) {
    throw new RangeError(`teacher must have length ${student.length}, received ${teacher.length}`);
  }
  const T = options.temperature ?? 1;
  const labels = options.labels;
  const alpha = options.alpha ?? (labels ? 0.5 : 1);
  if (!labels && alpha !== 1) {
    throw new RangeError(`alpha must be 1 without labels, received ${alpha}`);
  }
  const reduction = options.reduction ?? "mean";
  const ignoreIndex = options.ignoreIndex ?? -100;
  const wantGrad = options.grad ?? true;
  if (labels && labels.length !== N) {
    throw new RangeError(`expected ${N} labels, received ${labels.length}`);
  }

  const isActive = (i: number): boolean => {
    if (!labels) return true;
    const y = Number(labels[i]);
    checkLabel(y, i, K, ignoreIndex);
    return y !== ignoreIndex;
  };

  // CE term, per row, with the gradient of Σ_i CE_i.
  const useCe = labels !== undefined && alpha !== 1;
  let ceRows: Float64Array | null = null;
  let ceGrad: Float64Array | null = null;
  if (useCe) {
    const ce = crossEntropy(student, labels, {
      classes: K,
      targetKind: "index",
      smoothing: options.smoothing ?? 0,
      smoothingMode: options.smoothingMode ?? "uniform",
      ignoreIndex,
      reduction: "none",
      grad: true,
    });
    ceRows = ce.loss as Float64Array;
    ceGrad = ce.grad;
  }
  const useKl = alpha !== 0;

  const rowLoss = new Float64Array(N);
  const grad = new Float64Array(N * K); // gradient of Σ_i row_i
  let n = 0;
  for (let i = 0; i < N; i++) {
    if (!isActive(i)) continue;
    n += 1;
    const s = rowSoftmax(student, i, K, T);
    const t = rowSoftmax(teacher, i, K, T);
    let outcome: RowOutcome = "ok";
    let loss = 0;
    const g = new Float64Array(K);

    if (s.status === "nonFinite" || t.status === "nonFinite") {
      outcome = "nan";
    } else {
      if (useKl) {
        if (t.status === "allMasked") {
          outcome = "nan";
        } else {
          let kl = 0;
          for (let j = 0; j < K; j++) {
            const pt = t.p[j]!;
            if (pt === 0) continue; // 0·log 0 = 0
            if (s.masked[j]) {
              outcome = "infinite";
              break;
            }
            kl += pt * (t.logp[j]! - s.logp[j]!);
          }
          if (outcome === "ok") {
            // Small tempered differences (large T): the cancellation-free form (kl.ts); else the
            // plain sum above, which has no cancellation to fear there.
            const safe = temperedKl(student, teacher, i * K, K, T, s.p);
            if (safe !== null) {
              loss += alpha * safe.t2kl;
              for (let j = 0; j < K; j++) g[j] = alpha * safe.tGrad[j]!;
            } else {
              loss += alpha * T * T * kl;
              for (let j = 0; j < K; j++) g[j] = alpha * T * (s.p[j]! - t.p[j]!);
            }
          }
        }
      }
      if (useCe && outcome !== "nan") {
        const ceRow = ceRows![i]!;
        if (Number.isNaN(ceRow)) outcome = "nan";
        else if (ceRow === Infinity) outcome = "infinite";
        else if (outcome === "ok") {
          loss += (1 - alpha) * ceRow;
          for (let j = 0; j < K; j++) g[j] = g[j]! + (1 - alpha) * ceGrad![i * K + j]!;
        }
      }
    }

    if (outcome === "nan") {
      loss = NaN;
      g.fill(NaN);
    } else if (outcome === "infinite") {
      loss = Infinity;
      g.fill(NaN);
    }
    rowLoss[i] = loss;
    grad.set(g, i * K);
  }

  let scale = 1;
  let result: number | Float64Array;
  if (reduction === "none") {
    result = rowLoss;
  } else {
    if (reduction === "mean") {
      if (n === 0) return { loss: 0, grad: wantGrad ? new Float64Array(N * K) : null };
      scale = 1 / n;
    }
    let sum = 0;
    for (let i = 0; i < N; i++) sum += rowLoss[i]!;
    result = sum * scale;
  }
  if (!wantGrad) return { loss: result, grad: null };
  for (let e = 0; e < grad.length; e++) grad[e] = grad[e]! * scale;
  return { loss: result, grad };
}
