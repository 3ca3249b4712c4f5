// Dense smoothed targets (docs/spec.md "smoothTargets").

import { labelScan } from "./ce_labels";
import { rowFill } from "./rows";
import { at } from "./math/vec";

/** out (N×K) = q for labels y. Returns the first bad row (nothing written), or −1. */
export function smoothTargets(y: usize, n: i32, k: i32, eps: f64, others: bool, ignoreIndex: i32, out: usize): i32 {
  const bad = labelScan(y, n, k, ignoreIndex, 0);
  if (bad >= 0) return bad;
  let off: f64 = others ? (k > 1 ? eps / <f64>(k - 1) : 0) : eps / <f64>k;
  let on: f64 = others ? (k > 1 ? 1 - eps : 1) : 1 - eps + eps / <f64>k;
  const stride: usize = <usize>k << 2;
  for (let i = 0; i < n; i++) {
    const oi = out + <usize>i * stride;
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) { rowFill(oi, k, 0); continue; }
    rowFill(oi, k, <f32>off);
    store<f32>(at(oi, yi), <f32>on);
  }
  return -1;
}
