// Deferred logs of cross-entropy rows: the rows' P, Q and S wait in blocks and their logs are taken
// together (docs/performance.md: the log off each row's critical path).

import { at } from "./math/vec";
import { vlogF64 } from "./math/log";
import { CeCall } from "./ce_call";

// Deferred logs. Without z-loss a row's loss is P + Q·log S with P, Q ≥ 0 known before the log, and
// its gradient does not need the log at all; the logs of LOG_BLOCK rows are then taken together,
// independent of each other (so they pipeline instead of sitting on each row's critical path).
export const LOG_BLOCK: i32 = 64;
export let LOG_S: usize = memory.data(8 * LOG_BLOCK, 16);
export let LOG_P: usize = memory.data(8 * LOG_BLOCK, 16);
export let LOG_Q: usize = memory.data(8 * LOG_BLOCK, 16);
export let LOG_ROW: usize = memory.data(4 * LOG_BLOCK, 16);

/** Above this a running product of S values takes its log (S ≤ K < 2^31, so the next product stays finite). */
const PROD_MAX: f64 = 1e289; // ≈ 2^960

export function logFlush(ctx: CeCall): void {
  let sum: f64 = 0;
  let b = 0;
  if (ctx.logSameQ && !ctx.rowLoss) {
    // Every row has the same Q and no row loss is wanted: Σ (P + Q·log S) = Σ P + Q·log Π S, one log
    // for the block instead of one a row. Π S is a running f64 product (64 roundings: 1e-14 relative),
    // logged and restarted before it could overflow.
    let prod: f64 = 1, logs: f64 = 0;
    if (ASC_FEATURE_SIMD) {
      let pa = f64x2.splat(0), pp = f64x2.splat(1);
      for (; b + 2 <= ctx.logN; b += 2) {
        const o: usize = <usize>b << 3;
        pa = f64x2.add(pa, v128.load(LOG_P + o));
        pp = f64x2.mul(pp, v128.load(LOG_S + o));
        if (f64x2.extract_lane(pp, 0) > PROD_MAX || f64x2.extract_lane(pp, 1) > PROD_MAX) {
          logs += Math.log(f64x2.extract_lane(pp, 0)) + Math.log(f64x2.extract_lane(pp, 1));
          pp = f64x2.splat(1);
        }
      }
      sum = f64x2.extract_lane(pa, 0) + f64x2.extract_lane(pa, 1);
      prod = f64x2.extract_lane(pp, 0);
      logs += Math.log(f64x2.extract_lane(pp, 1));
    }
    for (; b < ctx.logN; b++) {
      const o: usize = <usize>b << 3;
      sum += load<f64>(LOG_P + o);
      prod *= load<f64>(LOG_S + o);
      if (prod > PROD_MAX) { logs += Math.log(prod); prod = 1; }
    }
    logs += Math.log(prod);
    ctx.logCeSum += sum + ctx.logQ * logs;
    ctx.logN = 0;
    return;
  }
  if (ASC_FEATURE_SIMD) {
    // two rows per f64x2 log (vlogF64: 2e-11 relative, independent lanes that pipeline)
    let acc = f64x2.splat(0);
    for (; b + 2 <= ctx.logN; b += 2) {
      const o: usize = <usize>b << 3;
      const ce = f64x2.add(v128.load(LOG_P + o), f64x2.mul(v128.load(LOG_Q + o), vlogF64(v128.load(LOG_S + o))));
      acc = f64x2.add(acc, ce);
      if (ctx.rowLoss) {
        store<f32>(at(ctx.rowLoss, load<i32>(LOG_ROW + (<usize>b << 2))), <f32>f64x2.extract_lane(ce, 0));
        store<f32>(at(ctx.rowLoss, load<i32>(LOG_ROW + (<usize>b << 2) + 4)), <f32>f64x2.extract_lane(ce, 1));
      }
    }
    sum = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  }
  for (; b < ctx.logN; b++) {
    const o: usize = <usize>b << 3;
    const S = load<f64>(LOG_S + o);
    const logS: f64 = ASC_FEATURE_SIMD ? f64x2.extract_lane(vlogF64(f64x2.splat(S)), 0) : Math.log(S);
    const ce = load<f64>(LOG_P + o) + load<f64>(LOG_Q + o) * logS;
    sum += ce;
    if (ctx.rowLoss) store<f32>(at(ctx.rowLoss, load<i32>(LOG_ROW + (<usize>b << 2))), <f32>ce);
  }
  ctx.logCeSum += sum;
  ctx.logN = 0;
}

/** Queue one row's loss P + Q·log S (row index `row`) for the next flush. */
// @ts-ignore: decorator
@inline export function deferRow(ctx: CeCall, S: f64, P: f64, Q: f64, row: i32): void {
  if (ctx.logN == LOG_BLOCK) logFlush(ctx);
  const o: usize = <usize>ctx.logN << 3;
  store<f64>(LOG_S + o, S);
  store<f64>(LOG_P + o, P);
  store<f64>(LOG_Q + o, Q);
  store<i32>(LOG_ROW + (<usize>ctx.logN << 2), row);
  ctx.logN++;
}

/** Start a call: nothing deferred, per-row losses to `rowLoss` (0: not wanted). */
// @ts-ignore: decorator
@inline export function deferStart(ctx: CeCall, rowLoss: usize, sameQ: bool, Q: f64): void {
  ctx.logN = 0; ctx.logCeSum = 0; ctx.rowLoss = rowLoss;
  ctx.logSameQ = sameQ; ctx.logQ = Q;
}

/** Moves the deferred-log blocks into a pool worker's context block at `base` (assembly/thread_context.ts). */
export function rebaseLogs(base: usize): usize {
  LOG_S = base; LOG_P = base + 8 * LOG_BLOCK; LOG_Q = base + 16 * LOG_BLOCK; LOG_ROW = base + 24 * LOG_BLOCK;
  return base + LOGS_BYTES;
}

/** Bytes of the deferred-log blocks (S, P, Q: f64; ROW: i32) in a context block. */
export const LOGS_BYTES: usize = 28 * <usize>LOG_BLOCK;
