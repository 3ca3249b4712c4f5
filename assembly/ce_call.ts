// The per-call state of a cross-entropy call (crossEntropyIndex / crossEntropyProb), in one struct:
// the entry point fills it and passes it to every row, tile and log-flush routine. One field, one
// meaning. Each instance has its own CE_CALL: a static block, which a thread-pool instance moves into
// its context block (assembly/thread_context.ts), as it does the scratch of ce_deferred_logs.ts and
// ce_tile.ts.
//
// An unmanaged class over a static data block: fields are plain loads and stores at fixed offsets, and
// nothing is allocated (the facade owns every byte above heapBase).

@unmanaged
export class CeCall {
  // ---- set by the entry point, read-only during the call
  /** Weight of the target distribution: 1 − ε (index targets: 1 for 'others' with K = 1). */
  A: f64;
  /** Smoothing mass per class that carries it: ε/K, or ε/(K − 1) for 'others' (0 when K = 1). */
  B: f64;
  /** K as an f64. */
  classes: f64;
  /** Σ_j w_j of the class weights ('pytorch' index weights; probability targets: Σ w, or K unweighted). */
  sumW: f64;
  /** Reduction scale of the cross-entropy part (1/D for 'mean', else 1). */
  s: f64;
  /** Reduction scale of the z-loss part (1/n for 'mean', else 1). */
  zs: f64;
  /** z-loss λ. */
  lambda: f64;
  /**
   * Tile finish (index targets, ce_tile.ts finishPair): rowFinish's formulas regrouped, with a = w_y,
   *   P = −A·a·ℓy − B·sumB·(pytorch ? 1 : a),  Q = tileQW·a + tileQW0,  Σr = pytorch ? Q : a,
   *   c = s·B·(pytorch ? 1 : a),  the target's gradient offset = tileGy0·a.
   */
  tileQW: f64;
  tileQW0: f64;
  tileGy0: f64;
  /** Deferred logs: the Q shared by every deferred row when logSameQ. */
  logQ: f64;
  /** Deferred logs: Σ of the losses of the rows flushed so far. */
  logCeSum: f64;

  // ---- outputs of the last rowFinish (ce_rows.ts)
  /** Gradient: g_j = alpha·e_j − gradC (·w_j for 'pytorch'), then g_y = alpha·e_y − gradY. */
  alpha: f64;
  gradC: f64;
  gradY: f64;
  /** lse² of the row (0 without z-loss). */
  lse2: f64;

  // ---- outputs of the last row (ce_rows.ts) and of the generic scalar row (ce_generic.ts)
  /** The row's cross-entropy (0 when deferred), and its lse² (z-loss). */
  rowCe: f64;
  rowZ: f64;
  genericCe: f64;
  genericLse2: f64;

  // ---- outputs of the last tile (ce_tile.ts): Σ of its four rows' CE (0 when deferred) and lse²
  tileCeSum: f64;
  tileZSum: f64;

  // ---- outputs of the last row block (cross_entropy.ts): Σ of its rows' CE (deferred logs included) and lse²
  blockCe: f64;
  blockZ: f64;

  /** Where 'none' puts per-row losses (0: not wanted). */
  rowLoss: usize;
  /** WEIGHT_NONE / WEIGHT_PYTORCH / WEIGHT_TARGET (common.ts); probability targets: WEIGHT_PYTORCH. */
  weightMode: i32;
  /** Deferred logs: how many rows wait in the block. */
  logN: i32;
  /** 'others' smoothing with K > 1 (index targets): y is left out of the smoothing sum. */
  others: bool;
  /** Deferred logs: every deferred row has Q = logQ (no weights), so a block needs one log. */
  logSameQ: bool;
  /** Output of rowFinish: the row's loss was deferred (written by the log flush). */
  deferred: bool;
  /** Output of gather4 (ce_tile.ts): every gathered value was finite. */
  gatherFinite: bool;
}

/** This instance's call context (rebased by setThreadContext in a threaded build). */
export let CE_CALL: CeCall = changetype<CeCall>(memory.data(offsetof<CeCall>(), 16));

/** Moves the call context into a pool worker's context block at `base` (assembly/thread_context.ts). */
export function rebaseCeCall(base: usize): usize {
  CE_CALL = changetype<CeCall>(base);
  return base + CE_CALL_BYTES;
}

/** Bytes of the call context in a context block (16-aligned). */
export const CE_CALL_BYTES: usize = (offsetof<CeCall>() + 15) & ~15;
