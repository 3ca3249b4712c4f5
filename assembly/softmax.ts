// Row-wise logSoftmax and softmax (with temperature), max-subtracted (docs/spec.md "logSoftmax and softmax").
// Rows with a masked class, NaN or +Infinity go through a scalar path that applies the rules
// exactly: masked → −Infinity / 0; NaN or +Infinity anywhere in the row → the whole row NaN;
// every class masked → NaN.

import {
  rowMax, rowFinite, expSumNoStore as rowSumExp, expStoreSumScaled as rowExpSumScaled, scaleSubtract as rowAxpc, rowFill,
} from "./rows";
import { EXP_CONSTS, expNeg, vexpNeg } from "./math/exp";
import { at, accF64, hsum2 } from "./math/vec";

/** Scans a non-finite row: returns its max over unmasked classes, or NaN when the row has no answer. */
function nonFiniteRowMax(z: usize, k: i32): f32 {
  let m: f32 = -Infinity;
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v != v || v == Infinity) return NaN;
    if (v > m) m = v;
  }
  return m == -Infinity ? NaN : m;
}

/** out_j = (z_j − m) − log Σ exp(z − m); out may equal z (pass 2 stores nothing). */
export function logSoftmax(z: usize, out: usize, n: i32, k: i32): void {
  const stride: usize = <usize>k << 2;
  for (let i = 0; i < n; i++) {
    const zi = z + <usize>i * stride, oi = out + <usize>i * stride;
    let m = rowMax(zi, k);
    let logS: f32;
    if (rowFinite) {
      logS = <f32>Math.log(rowSumExp(zi, k, m));
    } else {
      m = nonFiniteRowMax(zi, k);
      if (m != m) { rowFill(oi, k, NaN); continue; }
      let S: f64 = 0;
      for (let j = 0; j < k; j++) S += expNeg(load<f32>(at(zi, j)) - m); // exp(−∞) → tiny, below f32 resolution of S ≥ 1
      logS = <f32>Math.log(S);
    }
    // (z − m) − logS: masked z stays −Infinity.
    let j = 0;
    if (ASC_FEATURE_SIMD) {
      const mv = f32x4.splat(m), lv = f32x4.splat(logS);
      for (; j + 4 <= k; j += 4) v128.store(at(oi, j), f32x4.sub(f32x4.sub(v128.load(at(zi, j)), mv), lv));
    }
    for (; j < k; j++) store<f32>(at(oi, j), (load<f32>(at(zi, j)) - m) - logS);
  }
}

/** out = softmax(z / T) row-wise; out may equal z. */
export function softmax(z: usize, out: usize, n: i32, k: i32, invT: f32): void {
  const stride: usize = <usize>k << 2;
  for (let i = 0; i < n; i++) {
    const zi = z + <usize>i * stride, oi = out + <usize>i * stride;
    const m = rowMax(zi, k);
    if (rowFinite) {
      const S = rowExpSumScaled(zi, oi, k, m, invT);
      rowAxpc(oi, k, <f32>(1 / S), 0);
      continue;
    }
    const mm = nonFiniteRowMax(zi, k);
    if (mm != mm) { rowFill(oi, k, NaN); continue; }
    let S: f64 = 0;
    for (let j = 0; j < k; j++) {
      const v = load<f32>(at(zi, j));
      const e: f32 = v == -Infinity ? 0 : expNeg((v - mm) * invT);
      store<f32>(at(oi, j), e);
      S += e;
    }
    rowAxpc(oi, k, <f32>(1 / S), 0);
  }
}
