// The scalar f64 softmax of one row, for the rare rows (masked classes) that the soft-target family's
// fast passes do not take (distillation.ts, calibration.ts), and the scan that sends rows there.

import { at } from "./math/vec";

/**
 * Scalar f64 softmax of z/T over the unmasked (≠ −Infinity) classes, for the rare rows the fast passes
 * do not take: p (K f64) and log p (K f64; −Infinity / 0 on masked classes). Returns K' (0: nothing
 * written). Precondition: no NaN or +Infinity in the row.
 */
export function softmax64(z: usize, k: i32, T: f64, p: usize, lp: usize): i32 {
  let m: f64 = -Infinity;
  let kv = 0;
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(z, j)) / T;
    if (v != -Infinity) { kv++; if (v > m) m = v; }
  }
  if (kv == 0) return 0;
  let S: f64 = 0;
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(z, j)) / T;
    if (v != -Infinity) S += Math.exp(v - m);
  }
  const logS = Math.log(S);
  for (let j = 0; j < k; j++) {
    const v = <f64>load<f32>(at(z, j)) / T;
    const l = v == -Infinity ? -Infinity : (v - m) - logS;
    store<f64>(lp + (<usize>j << 3), l);
    store<f64>(p + (<usize>j << 3), v == -Infinity ? 0 : Math.exp(l));
  }
  return kv;
}

/** Whether the row holds a NaN or +Infinity. */
export function hasNaNOrInf(z: usize, k: i32): bool {
  for (let j = 0; j < k; j++) {
    const v = load<f32>(at(z, j));
    if (v != v || v == Infinity) return true;
  }
  return false;
}
