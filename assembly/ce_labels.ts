// The label scan of cross-entropy (and of every kernel that takes index labels): checks the labels
// and sums the reduction divisor (docs/spec.md "crossEntropy", "Reduction").

import { at } from "./math/vec";
import { RESULTS, RESULT_DIVISOR, RESULT_COUNT } from "./common";

/**
 * Checks labels and sums the reduction divisor. Returns the first row whose label is neither in
 * [0, k) nor ignoreIndex (−1 if none). RESULTS[RESULT_DIVISOR] = Σ over non-ignored rows of w_y (their
 * count if w = 0), RESULTS[RESULT_COUNT] = the count of non-ignored rows.
 */
export function labelScan(y: usize, n: i32, k: i32, ignoreIndex: i32, w: usize): i32 {
  let d: f64 = 0;
  let cnt: i32 = 0;
  for (let i = 0; i < n; i++) {
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) continue;
    if (<u32>yi >= <u32>k) return i;
    cnt++;
    d += w ? <f64>load<f32>(at(w, yi)) : 1.0;
  }
  store<f64>(RESULTS + RESULT_DIVISOR, d);
  store<f64>(RESULTS + RESULT_COUNT, <f64>cnt);
  return -1;
}
