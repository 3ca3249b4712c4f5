// The bench's JSON (bench/results/latest.json). Everything the tables and the chart show is derived
// from this, so a committed JSON can be re-rendered without re-running (`npm run bench:report`).
// Every time is per call; rates and ratios come from the MEAN (total time ÷ calls, see measure.ts).

import type { Check } from "./check.js";
import type { Summary } from "./measure.js";

export const SCHEMA = "softxent-bench/2";

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
   * resident: wasm buffers through the API; kernel: the bare fused kernel on wasm buffers (bench/kernels.ts).
   */
  path: "resident" | "copy" | "copyOut" | "kernel" | null;
  /** "32x32000" */
  shape: string;
  n: number;
  k: number;
  /** Mean, p50, p99 per call (ms), pooled over the rounds; the mean of each round beside. */
  time: Summary;
  /** Million logits (elements) per second, from the mean time per call. */
  mlogitsPerSec: number;
  /** Agreement with the double-precision reference on this data (crossEntropy and the functions), or null. */
  check: Check | null;
}

export interface RatioRow {
  impl: string;
  label: string;
  shape: string;
  /** Each peer's mean time ÷ this implementation's (× faster; null: peer not measured). */
  vs: Record<PeerId, number | null>;
  /** Mean time ÷ the mean time of the exp bound of the same build (SIMD bound for peers). */
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

/** The machine a table was measured on, with its load when the run started and ended. */
export interface Machine {
  cpu: string;
  cores: number;
  arch: string;
  platform: string;
  memoryGiB: number;
  /** os.loadavg()[0] at the start and at the end of the run: other work on the machine. */
  loadAvg1m: [number, number];
}

export interface BenchReport {
  schema: typeof SCHEMA;
  date: string;
  machine: Machine;
  runtime: { node: string; v8: string };
  versions: Record<string, string>;
  /** The commit benchmarked, and whether the core's sources (assembly/, src/, build config) had uncommitted changes; null outside a git checkout. */
  git: { commit: string; dirty: boolean } | null;
  settings: {
    smoothing: number;
    shapes: string[];
    functionsShape: string | null;
    timeMsPerTask: number;
    /** The suite runs this many times; each task's samples are pooled over the rounds. */
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

// ---- The separate-process peer comparison (npm run bench:peers → bench/results/peers.json)

export const PEERS_SCHEMA = "softxent-bench-peers/1";

/** One timed row of a peer's process: the peer itself, or softxent measured beside it. */
export interface PeerRow {
  /** "peer", or softxent's SIMD build through the copying API with a reused gradOut / on resident buffers. */
  impl: "peer" | "softxent-copyout" | "softxent-resident";
  label: string;
  shape: string;
  n: number;
  k: number;
  time: Summary;
  mlogitsPerSec: number;
  /** Agreement with the f64 reference, checked before timing. */
  check: Check;
}

/** One peer's process. */
export interface PeerRun {
  peer: string;
  label: string;
  /** What one timed call of the peer does. */
  describe: string;
  versions: Record<string, string>;
  status: "ok" | "failed" | "not installed";
  /** Why it did not run (status ≠ ok). */
  error: string | null;
  rows: PeerRow[];
  notes: string[];
}

export interface PeersReport {
  schema: typeof PEERS_SCHEMA;
  date: string;
  machine: Machine;
  runtime: { node: string; v8: string };
  /** softxent, tinybench, AssemblyScript; each peer's own versions are in its PeerRun. */
  versions: Record<string, string>;
  git: { commit: string; dirty: boolean } | null;
  settings: {
    smoothing: number;
    shapes: string[];
    timeMsPerTask: number;
    rounds: number;
    quick: boolean;
    /** The softxent build measured beside every peer. */
    softxentBuild: "simd";
    durationSec: number;
  };
  peers: PeerRun[];
  notes: string[];
}
