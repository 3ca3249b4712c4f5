// Timing one task with tinybench, within a budget, and what a row reports: the MEAN time per call
// (total timed time ÷ calls — the garbage collections and page faults a call triggers land inside
// the calls and count), with p50 and p99 beside it. A median alone hides what users pay: a fresh
// 4 MB result array per call has a p50 of 0.3 ms but a GC storm every few calls (docs/performance.md).
//
// A probe (it also warms the JIT and grows scratch memory) tells how slow the task is:
// - a call shorter than MIN_SAMPLE_MS is repeated inside each timed sample (performance.now() around
//   a microsecond call would partly time the timer); its p50 / p99 are then those of batches of
//   `repeat` calls, per call — the report marks those rows;
// - fast tasks get warmup plus a time budget;
// - slow ones (TF.js cpu, jax-js, the f64 reference at large K) a few timed calls and no more, so that
//   the whole suite stays within minutes.
// Asynchronous tasks (onnxruntime's `run`) are awaited inside the timing.

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

/** One measurement of one task: its per-call sample times, to be pooled over rounds (pool()). */
export interface Timing {
  /** Calls per sample. */
  repeat: number;
  /** Σ of the timed samples, ms. */
  totalMs: number;
  /** Timed calls (samples × repeat). */
  calls: number;
  /** Per-call time of each sample (sample ÷ repeat), ms. */
  perCallMs: number[];
}

/** What a result row reports: pooled over every round of a task. */
export interface Summary {
  /** Total timed time ÷ calls. */
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
  minMs: number;
  maxMs: number;
  /** Timed samples and calls over all rounds. */
  samples: number;
  calls: number;
  /** Calls per sample (the largest, if rounds differed). */
  repeat: number;
  /** The mean of each round on its own (their spread is the run's noise). */
  roundMeanMs: number[];
}

/** Below this, calls are batched into one sample. */
const MIN_SAMPLE_MS = 0.01;

const gc = (globalThis as { gc?: () => void }).gc;

type Task = () => unknown;

function isPromise(x: unknown): x is Promise<unknown> {
  return typeof (x as { then?: unknown } | null)?.then === "function";
}

/** Times `fn` (sync, or returning a promise that is awaited) within `budget`. */
export async function measure(name: string, fn: Task, budget: Budget): Promise<Timing> {
  gc?.();
  const first = fn();
  const async = isPromise(first);
  if (async) await first;
  let t0 = performance.now();
  if (async) await fn();
  else fn();
  let probe = performance.now() - t0;
  let repeat = 1;
  if (budget.fixedIterations === undefined && probe < MIN_SAMPLE_MS) {
    // One call is too short to time alone: measure 200 of them for a better estimate.
    t0 = performance.now();
    for (let i = 0; i < 200; i++) {
      if (async) await fn();
      else fn();
    }
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
  const bench = new Bench({ ...options, name, throws: true, retainSamples: true });
  let task: Task;
  if (repeat === 1) task = fn;
  else if (async) {
    task = async () => {
      for (let i = 0; i < repeat; i++) await fn();
    };
  } else {
    task = () => {
      for (let i = 0; i < repeat; i++) fn();
    };
  }
  bench.add(name, task);
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== "completed") throw new Error(`bench task ${name} ended as '${r.state}'`);
  const samples = r.latency.samples;
  if (!samples || samples.length === 0) throw new Error(`bench task ${name}: tinybench kept no samples`);
  let total = 0;
  for (const s of samples) total += s;
  return { repeat, totalMs: total, calls: samples.length * repeat, perCallMs: samples.map((s) => s / repeat) };
}

/** The q-quantile (0…1) of sorted values, linear between order statistics. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos),
    hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Pools rounds of one task: mean = Σ time ÷ Σ calls; p50 / p99 over every sample's per-call time. */
export function pool(rounds: readonly Timing[]): Summary {
  if (rounds.length === 0) throw new RangeError("pool: no rounds");
  let total = 0,
    calls = 0;
  const all: number[] = [];
  for (const t of rounds) {
    total += t.totalMs;
    calls += t.calls;
    for (const s of t.perCallMs) all.push(s);
  }
  all.sort((a, b) => a - b);
  return {
    meanMs: total / calls,
    p50Ms: quantile(all, 0.5),
    p99Ms: quantile(all, 0.99),
    minMs: all[0]!,
    maxMs: all[all.length - 1]!,
    samples: all.length,
    calls,
    repeat: Math.max(...rounds.map((t) => t.repeat)),
    roundMeanMs: rounds.map((t) => t.totalMs / t.calls),
  };
}
