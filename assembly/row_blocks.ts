// The row-block rule of the parameter-block kernels that split a call by whole rows (distillation,
// calibration, temperature moments, smoothed targets; docs/spec.md "Threads"): rows in blocks of about
// ROW_BLOCK_LOGITS logits, a function of N and K alone (never of the thread count), at most
// MAX_ROW_BLOCKS blocks (the pool's block index takes 16 bits: src/threads/protocol.ts MAX_BLOCKS).

/** Logits per row block, about (whole rows: at least one row per block). */
export const ROW_BLOCK_LOGITS: i32 = 16384;
/** Most blocks of a call. */
export const MAX_ROW_BLOCKS: i32 = 65535;

/** Rows per block for N rows of K. */
export function rowBlockRows(n: i32, k: i32): i32 {
  const r = max(1, ROW_BLOCK_LOGITS / max(k, 1));
  return max(r, (n + MAX_ROW_BLOCKS - 1) / MAX_ROW_BLOCKS);
}

/** Blocks of `r` rows covering N rows (0 for N = 0). */
export function rowBlocks(n: i32, r: i32): i32 {
  return n == 0 ? 0 : (n + r - 1) / r;
}
