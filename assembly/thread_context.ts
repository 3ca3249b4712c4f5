// Per-thread context (docs/spec.md "Threads"). The instances of a thread pool share one linear memory,
// so the writable static regions (the results area, the call context, the deferred-log blocks, the tile
// and gemm scratch) would be the same bytes for every thread. Each of them is addressed through a
// per-instance wasm global; a pool worker points them at its own block, which the facade allocates
// (threadContextBytes() bytes, 16-aligned) and never hands to anything else. The calling thread gets
// a block of its own too (src/memory.ts). Read-only tables (exp / log coefficients) stay shared.
//
// test/unit/threads-abi.test.ts checks that after setThreadContext no kernel writes a byte below the
// heap (every writable region rebased), and that threadContextBytes() is the sum of the named sizes.

import { RESULTS_BYTES, rebaseResults } from "./common";
import { CE_CALL_BYTES, rebaseCeCall } from "./ce_call";
import { LOGS_BYTES, rebaseLogs } from "./ce_deferred_logs";
import { TILE_BYTES, rebaseTile } from "./ce_tile";
import { GEMM_CTX_BYTES, rebaseGemm } from "./gemm";

/** Bytes of one thread's context block: each region's named size, in the order setThreadContext lays them out. */
export function threadContextBytes(): usize {
  return RESULTS_BYTES + CE_CALL_BYTES + LOGS_BYTES + TILE_BYTES + GEMM_CTX_BYTES;
}

/**
 * Points every writable static region of this instance at the block at `base` (16-aligned, at least
 * threadContextBytes() bytes, used by no other instance). Called once per instance before any kernel
 * runs there.
 */
export function setThreadContext(base: usize): void {
  rebaseGemm(rebaseTile(rebaseLogs(rebaseCeCall(rebaseResults(base)))));
}
