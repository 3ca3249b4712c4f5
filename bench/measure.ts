// Timing one task with tinybench, within a budget. A probe call first (it also warms the JIT and
// grows scratch memory) tells how slow the task is: fast tasks get warmup plus a time budget, slow
// ones (TF.js cpu at large K) a few timed calls and no more, so the whole suite stays within minutes.

import { Bench } from "tinybench";

export interface Budget {
  /** Time budget per task in ms (tinybench `time`). */
  timeMs: number;
  /** Minimum timed iterations of a fast task. */
  minIterations: number;
  /** A task whose single call takes more than timeMs / 4 is slow: it gets timed calls worth about this many ms (at least 1, at most 5 calls). */
  slowCapMs: number;
  /** Exactly this many timed calls and no warmup (smoke tests); overrides the above. */
  fixedIterations?: number;
}

export interface Timing {
  /** Timed calls. */
  samples: number;
  meanMs: number;
  medianMs: number;
  minMs: number;
  /** Relative margin of error of the mean, % (95%). */
  rmePct: number;
}

const gc = (globalThis as { gc?: () => void }).gc;

export async function measure(name: string, fn: () => unknown, budget: Budget): Promise<Timing> {
  gc?.();
  const t0 = performance.now();
  fn();
  const probe = performance.now() - t0;
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
  bench.add(name, fn);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== "completed") throw new Error(`bench task ${name} ended as '${r.state}'`);
  const lat = r.latency;
  return { samples: lat.samplesCount, meanMs: lat.mean, medianMs: lat.p50, minMs: lat.min, rmePct: lat.rme };
}
