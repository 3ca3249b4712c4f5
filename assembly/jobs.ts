// The entry points of every kernel that takes a parameter block (assembly/params.ts). The facade
// writes the block, then either calls jobRun (one thread) or drives the same steps itself over the
// thread pool (src/threads/run.ts):
//
//   bad = jobPrepare(p)                 // checks, clears, derives the call's scales into the block
//   for step = 0, 1, …:
//     nb = jobStepBlocks(p, step)       // the calling thread's work between steps; −1: done
//     jobBlock(p, step, b, thread) for b < nb, on any thread, in any order
//   jobFinish(p)                        // the results, into RESULTS
//
// jobRun is exactly that loop with every block on thread 0, so the one-thread path and the pool run
// the same blocks and the same serial steps (docs/spec.md "Threads").

import { JOB_CALIBRATION, JOB_CE, JOB_DISTILL, JOB_FOCAL, JOB_LINEAR, JOB_MOMENTS, JOB_SIGMOID, JOB_SMOOTH, P_JOB } from "./params";
import { ceBlock, ceFinish, cePrepare, ceStepBlocks } from "./ce_job";
import { distillBlock, distillFinish, distillPrepare, distillStepBlocks } from "./distillation";
import { linearBlock, linearFinish, linearPrepare, linearStepBlocks } from "./linear_cross_entropy";
import { sigmoidBlock, sigmoidFinish, sigmoidPrepare, sigmoidStepBlocks } from "./sigmoid";
import { focalBlock, focalFinish, focalPrepare, focalStepBlocks } from "./focal";
import {
  calibrationBlock, calibrationFinish, calibrationPrepare, calibrationStepBlocks, momentsBlock, momentsFinish,
  momentsPrepare, momentsStepBlocks,
} from "./calibration";
import { smoothBlock, smoothPrepare, smoothStepBlocks } from "./smooth";

/** −1, or the first row with a bad label (nothing written then). */
export function jobPrepare(p: usize): i32 {
  const job = load<i32>(p + P_JOB);
  if (job == JOB_CE) return cePrepare(p);
  if (job == JOB_LINEAR) return linearPrepare(p);
  if (job == JOB_SIGMOID) return sigmoidPrepare(p);
  if (job == JOB_DISTILL) return distillPrepare(p);
  if (job == JOB_FOCAL) return focalPrepare(p);
  if (job == JOB_CALIBRATION) return calibrationPrepare(p);
  if (job == JOB_MOMENTS) return momentsPrepare(p);
  if (job == JOB_SMOOTH) return smoothPrepare(p);
  unreachable();
  return 0;
}

export function jobStepBlocks(p: usize, step: i32): i32 {
  const job = load<i32>(p + P_JOB);
  if (job == JOB_CE) return ceStepBlocks(p, step);
  if (job == JOB_LINEAR) return linearStepBlocks(p, step);
  if (job == JOB_SIGMOID) return sigmoidStepBlocks(p, step);
  if (job == JOB_DISTILL) return distillStepBlocks(p, step);
  if (job == JOB_FOCAL) return focalStepBlocks(p, step);
  if (job == JOB_CALIBRATION) return calibrationStepBlocks(p, step);
  if (job == JOB_MOMENTS) return momentsStepBlocks(p, step);
  if (job == JOB_SMOOTH) return smoothStepBlocks(p, step);
  unreachable();
  return 0;
}

export function jobBlock(p: usize, step: i32, block: i32, thread: i32): void {
  const job = load<i32>(p + P_JOB);
  if (job == JOB_CE) { ceBlock(p, block, thread); return; }
  if (job == JOB_LINEAR) { linearBlock(p, step, block, thread); return; }
  if (job == JOB_SIGMOID) { sigmoidBlock(p, block); return; }
  if (job == JOB_DISTILL) { distillBlock(p, block, thread); return; }
  if (job == JOB_FOCAL) { focalBlock(p, block, thread); return; }
  if (job == JOB_CALIBRATION) { calibrationBlock(p, block, thread); return; }
  if (job == JOB_MOMENTS) { momentsBlock(p, block); return; }
  if (job == JOB_SMOOTH) { smoothBlock(p, block); return; }
  unreachable();
}

export function jobFinish(p: usize): void {
  const job = load<i32>(p + P_JOB);
  if (job == JOB_CE) { ceFinish(p); return; }
  if (job == JOB_LINEAR) { linearFinish(p); return; }
  if (job == JOB_SIGMOID) { sigmoidFinish(p); return; }
  if (job == JOB_DISTILL) { distillFinish(p); return; }
  if (job == JOB_FOCAL) { focalFinish(p); return; }
  if (job == JOB_CALIBRATION) { calibrationFinish(p); return; }
  if (job == JOB_MOMENTS) { momentsFinish(p); return; }
  if (job == JOB_SMOOTH) return; // every row is written by its block
  unreachable();
}

/** The whole call on the calling thread: returns as jobPrepare. */
export function jobRun(p: usize): i32 {
  const bad = jobPrepare(p);
  if (bad >= 0) return bad;
  for (let step = 0; ; step++) {
    const nb = jobStepBlocks(p, step);
    if (nb < 0) break;
    for (let b = 0; b < nb; b++) jobBlock(p, step, b, 0);
  }
  jobFinish(p);
  return -1;
}
