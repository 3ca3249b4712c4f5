// Dense smoothed targets (docs/spec.md "smoothTargets"), as a parameter block (SMT_* in
// assembly/params.ts; assembly/jobs.ts): row blocks of assembly/row_blocks.ts, each writing its own
// rows (docs/spec.md "Threads").

import { labelScan } from "./ce_labels";
import { rowFill } from "./rows";
import { at } from "./math/vec";
import { rowBlockRows, rowBlocks } from "./row_blocks";
import { SMT_BLOCK_ROWS, SMT_BLOCKS, SMT_EPS, SMT_IGNORE, SMT_K, SMT_N, SMT_OTHERS, SMT_OUT, SMT_Y } from "./params";

/** Checks the labels: −1, or the first bad row (nothing written then). */
export function smoothPrepare(p: usize): i32 {
  const n = load<i32>(p + SMT_N), k = load<i32>(p + SMT_K);
  const bad = labelScan(<usize>load<u32>(p + SMT_Y), n, k, load<i32>(p + SMT_IGNORE), 0);
  if (bad >= 0) return bad;
  const r = rowBlockRows(n, k);
  store<i32>(p + SMT_BLOCK_ROWS, r);
  store<i32>(p + SMT_BLOCKS, rowBlocks(n, r));
  return -1;
}

export function smoothStepBlocks(p: usize, step: i32): i32 {
  return step == 0 ? load<i32>(p + SMT_BLOCKS) : -1;
}

/** out (N×K) = q for labels y, rows of block b (ignored rows all 0). */
export function smoothBlock(p: usize, b: i32): void {
  const n = load<i32>(p + SMT_N), k = load<i32>(p + SMT_K), r = load<i32>(p + SMT_BLOCK_ROWS);
  const y = <usize>load<u32>(p + SMT_Y), out = <usize>load<u32>(p + SMT_OUT);
  const eps = load<f64>(p + SMT_EPS), others = load<i32>(p + SMT_OTHERS) != 0, ignoreIndex = load<i32>(p + SMT_IGNORE);
  const off: f64 = others ? (k > 1 ? eps / <f64>(k - 1) : 0) : eps / <f64>k;
  const on: f64 = others ? (k > 1 ? 1 - eps : 1) : 1 - eps + eps / <f64>k;
  const stride: usize = <usize>k << 2;
  const i1 = min(n, (b + 1) * r);
  for (let i = b * r; i < i1; i++) {
    const oi = out + <usize>i * stride;
    const yi = load<i32>(at(y, i));
    if (yi == ignoreIndex) { rowFill(oi, k, 0); continue; }
    rowFill(oi, k, <f32>off);
    store<f32>(at(oi, yi), <f32>on);
  }
}
