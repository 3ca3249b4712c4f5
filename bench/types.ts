// The bench's JSON (bench/results/latest.json). Everything the tables and the chart show is derived
// from this, so a committed JSON can be re-rendered without re-running (`npm run bench:report`).

export const SCHEMA = "softxent-bench/1";

export type Op = "crossEntropy" | "logSoftmax" | "softmax" | "smoothTargets" | "expBound" | "scaleBound";
export type Kind = "softxent" | "peer" | "bound";

/** Peers every softxent row is compared with, in table order. */
export const PEERS = ["plain-js", "reference", "tfjs-cpu", "tfjs-wasm"] as const;
export type PeerId = (typeof PEERS)[number];

export interface ResultRow {
  op: Op;
  /** Stable id, e.g. "softxent-simd-resident", "plain-js", "tfjs-wasm", "bound-exp-simd". */
  impl: string;
  /** Human label for tables and the chart legend. */
  label: string;
  kind: Kind;
  build: "relaxed-simd" | "simd" | "scalar" | null;
  /**
   * copy: plain arrays through the API, a new gradient array each call; copyOut: plain arrays, the
   * gradient written into a reused plain array (gradOut), as a training loop on plain arrays does;
   * resident: wasm buffers through the API; kernel: the bare fused kernel on wasm buffers (softxent/bounds).
   */
  path: "resident" | "copy" | "copyOut" | "kernel" | null;
  /** "32x32000" */
  shape: string;
  n: number;
  k: number;
  /** Timed samples (of the best round). */
  samples: number;
  /** Calls per timed sample (tiny shapes are batched so that the timer is not what gets measured). */
  repeat: number;
  /** Median ms per call in each round; the row reports the fastest round. Their spread shows the noise. */
  roundMedianMs: number[];
  meanMs: number;
  medianMs: number;
  minMs: number;
  rmePct: number;
  /** Million logits (elements) per second, from the median time. */
  mlogitsPerSec: number;
  /** Agreement with the double-precision reference on this data (crossEntropy and the functions), or null. */
  check: { loss: number | null; lossRelErr: number | null; maxAbsErr: number } | null;
}

export interface RatioRow {
  impl: string;
  label: string;
  shape: string;
  /** This implementation's speed ÷ each peer's (null: peer not measured). */
  vs: Record<PeerId, number | null>;
  /** Time ÷ the time of the exp bound of the same build (SIMD bound for peers). */
  overExpBound: number | null;
}

export interface FunctionRow {
  op: Op;
  impl: string;
  label: string;
  shape: string;
  mlogitsPerSec: number;
  /** "expBound" for logSoftmax / softmax (one exp per element), "scaleBound" for smoothTargets (one write per element). */
  bound: "expBound" | "scaleBound";
  overBound: number | null;
}

export interface BenchReport {
  schema: typeof SCHEMA;
  date: string;
  machine: { cpu: string; cores: number; arch: string; platform: string; memoryGiB: number };
  runtime: { node: string; v8: string };
  versions: Record<string, string>;
  /** The commit benchmarked, and whether the core's sources (assembly/, src/, build config) had uncommitted changes; null outside a git checkout. */
  git: { commit: string; dirty: boolean } | null;
  settings: {
    smoothing: number;
    shapes: string[];
    functionsShape: string | null;
    timeMsPerTask: number;
    /** The suite runs this many times; each task keeps its fastest round (others share the machine). */
    rounds: number;
    quick: boolean;
    threads: 1;
    tfjsWasmSimd: boolean | null;
    durationSec: number;
  };
  results: ResultRow[];
  ratios: RatioRow[];
  functions: FunctionRow[];
  notes: string[];
}
