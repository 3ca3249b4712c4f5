// Per-thread context (docs/spec.md "Threads"). The instances of a thread pool share one linear memory,
// so the writable static regions (the results area, the call context, the deferred-log blocks, the tile
// and gemm scratch) would be the same bytes for every thread. Each of them is addressed through a
// per-instance wasm global; a pool worker points them at its own block, which the facade allocates
// (threadContextBytes() bytes, 16-aligned) and never hands to anything else. The calling thread keeps
// the static regions. Read-only tables (exp / log coefficients) stay shared.

import { rebaseResults } from "./common";
import { CeCall, rebaseCeCall } from "./ce_call";
import { LOG_BLOCK, rebaseLogs } from "./ce_deferred_logs";
import { SMALL_K, rebaseTile } from "./ce_tile";
import { rebaseGemm } from "./gemm";

/** Bytes of one thread's context block (an upper bound, 16-aligned). */
export function threadContextBytes(): usize {
  // the sizes each rebase function steps over, in the same order
  return 64 + ((offsetof<CeCall>() + 15) & ~15) + 28 * <usize>LOG_BLOCK + 32 * <usize>SMALL_K + 16 * 7 + 4 * 6 * 8 + 4 * 8;
}

/**
 * Points every writable static region of this instance at the block at `base` (16-aligned, at least
 * threadContextBytes() bytes, used by no other instance). Called once, by a pool worker, before any
 * kernel runs there.
 */
export function setThreadContext(base: usize): void {
  rebaseGemm(rebaseTile(rebaseLogs(rebaseCeCall(rebaseResults(base)))));
}
