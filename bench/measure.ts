// Timing one task with tinybench, within a budget. A probe (it also warms the JIT and grows scratch
// memory) tells how slow the task is:
// - a call shorter than ~25 µs is repeated inside each timed sample (performance.now() around a
//   sub-microsecond call would mostly time the timer), and the sample divided by the repeat count;
// - fast tasks get warmup plus a time budget;
// - slow ones (TF.js cpu, the f64 reference at large K) a few timed calls and no more, so that the
//   whole suite stays within minutes.

import { Bench } from "tinybench";

export interface Budget {
  /** Time budget per task in ms (tinybench `time`). */
  timeMs: number;
  /** Minimum timed samples of a fast task. */
  minIterations: number;
  /** A task whose single call takes more than timeMs / 4 is slow: it gets timed calls worth about this many ms (at least 1, at most 5 calls). */
  slowCapMs: number;
  /** Exactly this many timed calls, no warmup and no repetition (smoke tests); overrides the above. */
  fixedIterations?: number;
}

export interface Timing {
  /** Timed samples. */
  samples: number;
  /** Calls per sample (times below are per call). */
  repeat: number;
  meanMs: number;
  medianMs: number;
  minMs: number;
  /** Relative margin of error of the mean, % (95%). */
  rmePct: number;
}

/** Below this, calls are batched into one sample. */
const MIN_SAMPLE_MS = 0.025;

const gc = (globalThis as { gc?: () => void }).gc;

export async function measure(name: string, fn: () => unknown, budget: Budget): Promise<Timing> {
  gc?.();
  fn();
  let t0 = performance.now();
  fn();
  let probe = performance.now() - t0;
  let repeat = 1;
  if (budget.fixedIterations === undefined && probe < MIN_SAMPLE_MS) {
    // One call is too short to time alone: measure 200 of them for a better estimate.
    t0 = performance.now();
    for (let i = 0; i < 200; i++) fn();
    probe = (performance.now() - t0) / 200;
    repeat = Math.ceil(MIN_SAMPLE_MS / Math.max(probe, 1e-5));
  }
  let options: ConstructorParameters<typeof Bench>[0];
  if (budget.fixedIterations !== undefined) {
    options = { iterations: budget.fixedIterations, time: 0, warmup: false };
  } else if (probe * 4 > budget.timeMs) {
    const calls = Math.max(1, Math.min(5, Math.floor(budget.slowCapMs / Math.max(probe, 1e-3))));
    options = { iterations: calls, time: 0, warmup: false };
  } else {
    options = {
      iterations: budget.minIterations,
      time: budget.timeMs,
      warmup: true,
      warmupIterations: 4,
      warmupTime: Math.max(10, budget.timeMs / 5),
    };
  }
  const bench = new Bench({ ...options, name, throws: true });
  if (repeat === 1) bench.add(name, fn);
  else {
    bench.add(name, () => {
      for (let i = 0; i < repeat; i++) fn();
    });
  }
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== "completed") throw new Error(`bench task ${name} ended as '${r.state}'`);
  const lat = r.latency;
  return {
    samples: lat.samplesCount, repeat,
    meanMs: lat.mean / repeat, medianMs: lat.p50 / repeat, minMs: lat.min / repeat, rmePct: lat.rme,
  };
}
