// The shared-memory protocol between the calling thread (src/threads/pool.ts) and the pool's workers
// (src/threads/worker.ts), docs/spec.md "Threads". All words are Int32 in one SharedArrayBuffer (CTRL); the
// call's numeric arguments are f64 in another (ARGS); a failing worker's message is UTF-16 code units
// in a third (MSG).
//
// A call ("job") is published as: KIND, NB and ARGS written, DONE = 0, CLAIM = tag(gen) << 16, then GEN
// = gen (Atomics.store + notify). Every thread, the caller included, claims blocks by compareExchange
// on CLAIM: the high half is the job's tag, so a worker that woke late for an older job can never
// claim a block of the current one with the old job's arguments. DONE counts finished blocks; the
// worker finishing the last one notifies. A job is never published before the previous one's DONE
// reached its NB.

import type { CoreExports } from "../abi.js";

export const GEN = 0;
export const CLAIM = 1;
export const DONE = 2;
export const NB = 3;
export const KIND = 4;
/** Non-zero: workers return from their loop (the pool is being retired). */
export const STOP = 5;
/** 0, or 1 + the index of the first worker that failed (its cause is in MSG). */
export const FAIL = 6;
/** Test hook: a worker that claims a block while this is 1 exits before running it (a death mid-call). */
export const KILL = 7;
/** Test hook: a worker that claims a block while this is 1 never finishes it (a worker that never answers). */
export const HANG = 8;
/** Per-worker state words start here: STARTING, READY, DEAD. */
export const STATE = 9;
export const CTRL_WORDS = STATE + 256;

export const STARTING = 0;
export const READY = 1;
export const DEAD = 2;

export const ARGS_WORDS = 24;
export const MSG_CHARS = 512;

/** The job kind: a parameter-block kernel (assembly/jobs.ts): a = [p, step]; block b runs jobBlock(p, step, b, thread). */
export const JOB_PARAMS = 5;

/** Most blocks a job may have (the block index takes CLAIM's low 16 bits). */
export const MAX_BLOCKS = 65535;

/** The job tag of generation `gen` in CLAIM's high half (15 bits: CLAIM stays a positive Int32). */
export function tagOf(gen: number): number {
  return (gen & 0x7fff) << 16;
}

/** What the threads need to run a job's block `b`: the exports of their own instance. */
export type BlockExports = Pick<CoreExports, "jobBlock">;

/** Runs block `b` of the parameter-block job in `a` = [p, step] on thread `thread` (0 = the caller). */
export function runBlock(ex: BlockExports, kind: number, a: Float64Array, b: number, thread: number): void {
  if (kind !== JOB_PARAMS) throw new Error(`softxent: unknown pool job kind ${kind}`);
  ex.jobBlock(a[0]!, a[1]!, b, thread);
}

/**
 * Claims and runs blocks of job `gen` until none is left; returns how many this thread ran.
 * `beforeRun` (workers: the KILL test hook) runs after a claim, before the block.
 */
export function claimLoop(
  ex: BlockExports,
  ctrl: Int32Array,
  args: Float64Array,
  gen: number,
  kind: number,
  nb: number,
  thread: number,
  beforeRun?: () => void,
): number {
  const tag = tagOf(gen);
  let ran = 0;
  for (;;) {
    const v = Atomics.load(ctrl, CLAIM);
    if ((v & ~0xffff) !== tag) return ran;
    const b = v & 0xffff;
    if (b >= nb) return ran;
    if (Atomics.compareExchange(ctrl, CLAIM, v, v + 1) !== v) continue;
    beforeRun?.();
    runBlock(ex, kind, args, b, thread);
    ran++;
    if (Atomics.add(ctrl, DONE, 1) + 1 === nb) Atomics.notify(ctrl, DONE);
  }
}
