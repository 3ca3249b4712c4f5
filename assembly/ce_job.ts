// crossEntropy (index and probability targets), logSoftmax and softmax as one parameter-block job
// (assembly/jobs.ts, fields CE_* of assembly/params.ts): the one-thread path and the pool run the same
// row blocks (ceBlockRows: from N and K alone), and crossEntropy's block sums are added in block order
// by ceFinish — the additions crossEntropyIndex / crossEntropyProb make, so every thread count gives
// their bits (docs/spec.md "Threads"). The set-up (label scan, divisor, scales, weight sum) is derived
// here into the block, so the facade never repeats it.

import { RESULTS, RESULT_COUNT, RESULT_DIVISOR, RESULT_LOSS, REDUCE_MEAN, WEIGHT_NONE } from "./common";
import { labelScan } from "./ce_labels";
import {
  ceBlockRows, crossEntropyIndexBlock, crossEntropyIndexFinish, crossEntropyProbBlock, crossEntropyProbFinish,
  probWeightSum, weightSum,
} from "./cross_entropy";
import { logSoftmax, softmax } from "./softmax";
import {
  CE_BLOCKS, CE_EPS, CE_G, CE_GRAD, CE_IGNORE, CE_INV_T, CE_K, CE_KIND, CE_LAMBDA, CE_N, CE_OTHERS, CE_REDUCTION,
  CE_ROW_LOSS, CE_S, CE_SLOTS, CE_T, CE_W, CE_W_MODE, CE_W_MODE_EFF, CE_WSUM, CE_Z, CE_ZS,
} from "./params";
import { pF64, pI32, pPtr } from "./param_fields";

export const CE_KIND_INDEX: i32 = 0;
export const CE_KIND_PROB: i32 = 1;
export const CE_KIND_LOG_SOFTMAX: i32 = 2;
export const CE_KIND_SOFTMAX: i32 = 3;


/**
 * Index targets: checks the labels (−1, or the first bad row: nothing written then), derives the
 * scales and the weight sum, and applies the D = 0 rule of 'mean' (zero gradient, loss 0, no blocks).
 * Probability targets: the scales and the weight sum (N = 0: zero loss). Softmax forms: the blocks.
 */
export function cePrepare(p: usize): i32 {
  const n = pI32(p, CE_N), k = pI32(p, CE_K), kind = pI32(p, CE_KIND);
  const mean = pI32(p, CE_REDUCTION) == REDUCE_MEAN;
  const blocks = n == 0 ? 0 : (n + ceBlockRows(n, k) - 1) / ceBlockRows(n, k);
  store<i32>(p + CE_BLOCKS, blocks);
  if (kind == CE_KIND_INDEX) {
    const w = pPtr(p, CE_W);
    const mode = w ? pI32(p, CE_W_MODE) : WEIGHT_NONE;
    store<i32>(p + CE_W_MODE_EFF, mode);
    const bad = labelScan(pPtr(p, CE_T), n, k, pI32(p, CE_IGNORE), mode != WEIGHT_NONE ? w : 0);
    if (bad >= 0) return bad;
    const D = load<f64>(RESULTS + RESULT_DIVISOR), cnt = load<f64>(RESULTS + RESULT_COUNT);
    if (D == 0 && mean) {
      if (pI32(p, CE_GRAD)) memory.fill(pPtr(p, CE_G), 0, <usize>n * <usize>k << 2);
      store<i32>(p + CE_BLOCKS, 0);
      store<f64>(p + CE_S, 1);
      store<f64>(p + CE_ZS, 1);
      return -1;
    }
    store<f64>(p + CE_S, mean ? 1 / D : 1);
    store<f64>(p + CE_ZS, mean ? 1 / cnt : 1);
    store<f64>(p + CE_WSUM, weightSum(w, k, mode));
  } else if (kind == CE_KIND_PROB) {
    store<f64>(p + CE_S, mean && n > 0 ? 1 / <f64>n : 1);
    store<f64>(p + CE_WSUM, probWeightSum(pPtr(p, CE_W), k));
  }
  return -1;
}

export function ceStepBlocks(p: usize, step: i32): i32 {
  return step == 0 ? pI32(p, CE_BLOCKS) : -1;
}

/** Row block b on thread `thread` (without grad, its scratch row is the thread-th). */
export function ceBlock(p: usize, b: i32, thread: i32): void {
  const n = pI32(p, CE_N), k = pI32(p, CE_K), kind = pI32(p, CE_KIND);
  if (kind == CE_KIND_INDEX || kind == CE_KIND_PROB) {
    const grad = pI32(p, CE_GRAD) != 0;
    const g = grad ? pPtr(p, CE_G) : pPtr(p, CE_G) + (<usize>thread * <usize>k << 2);
    if (kind == CE_KIND_INDEX) {
      crossEntropyIndexBlock(
        pPtr(p, CE_Z), pPtr(p, CE_T), n, k, pF64(p, CE_EPS), pI32(p, CE_OTHERS) != 0, pI32(p, CE_IGNORE), pPtr(p, CE_W),
        pI32(p, CE_W_MODE_EFF), pF64(p, CE_WSUM), pF64(p, CE_LAMBDA), pF64(p, CE_S), pF64(p, CE_ZS), g, grad, pPtr(p, CE_ROW_LOSS),
        b, pPtr(p, CE_SLOTS),
      );
    } else {
      crossEntropyProbBlock(
        pPtr(p, CE_Z), pPtr(p, CE_T), n, k, pF64(p, CE_EPS), pPtr(p, CE_W), pF64(p, CE_WSUM), pF64(p, CE_LAMBDA), pF64(p, CE_S), g,
        grad, pPtr(p, CE_ROW_LOSS), b, pPtr(p, CE_SLOTS),
      );
    }
    return;
  }
  const r = ceBlockRows(n, k), r0 = b * r;
  const off = <usize>r0 * <usize>k << 2;
  if (kind == CE_KIND_LOG_SOFTMAX) logSoftmax(pPtr(p, CE_Z) + off, pPtr(p, CE_G) + off, min(r, n - r0), k);
  else softmax(pPtr(p, CE_Z) + off, pPtr(p, CE_G) + off, min(r, n - r0), k, <f32>pF64(p, CE_INV_T));
}

/** crossEntropy: the slots' sums in block order, then the loss into RESULTS. */
export function ceFinish(p: usize): void {
  const kind = pI32(p, CE_KIND);
  const nb = pI32(p, CE_BLOCKS), slots = pPtr(p, CE_SLOTS), red = pI32(p, CE_REDUCTION);
  if (kind == CE_KIND_INDEX) crossEntropyIndexFinish(slots, nb, red, pF64(p, CE_S), pF64(p, CE_ZS), pF64(p, CE_LAMBDA));
  else if (kind == CE_KIND_PROB) crossEntropyProbFinish(slots, nb, red, pF64(p, CE_S), pF64(p, CE_LAMBDA));
  else store<f64>(RESULTS + RESULT_LOSS, 0);
}
