// Timing for the fused-head bench: calls here take 10 ms to 40 s, so no harness with warm-up budgets;
// each implementation is called in turn (alternated, in one process) and every call is timed on its
// own. Reported: the mean per call (GC and allocation included) with p50 and p99 beside it.

const gc = (globalThis as { gc?: () => void }).gc;

export interface Stats {
  calls: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export function stats(ms: number[]): Stats {
  const s = ms.slice().sort((a, b) => a - b);
  const q = (f: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(f * s.length) - 1))]!;
  return { calls: s.length, meanMs: s.reduce((a, b) => a + b, 0) / s.length, p50Ms: q(0.5), p99Ms: q(0.99) };
}

/**
 * Runs every task once untimed (warm-up, scratch growth), then `rounds` rounds in which each task is
 * called `perRound` times in turn. Returns the timings per task name.
 */
export function alternate(tasks: Record<string, () => unknown>, rounds: number, perRound = 1, warmup = true): Record<string, Stats> {
  const names = Object.keys(tasks);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  if (warmup) for (const n of names) tasks[n]!();
  for (let r = 0; r < rounds; r++) {
    for (const n of names) {
      gc?.();
      for (let i = 0; i < perRound; i++) {
        const t0 = performance.now();
        tasks[n]!();
        times[n]!.push(performance.now() - t0);
      }
    }
  }
  return Object.fromEntries(names.map((n) => [n, stats(times[n]!)]));
}

export function fmt(s: Stats): string {
  const f = (x: number) => (x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));
  return `mean ${f(s.meanMs)} ms (p50 ${f(s.p50Ms)}, p99 ${f(s.p99Ms)}, ${s.calls} calls)`;
}
