// The training-step scenarios of `npm run bench:train`, written once for Node and the browser page
// (this file imports nothing at run time: TF.js, the adapter and the data are passed in).
//
// Each scenario pairs `tf.losses.softmaxCrossEntropy` with softxent/tfjs on the same model, data and
// backend, in the same process, and alternates them step by step (A B B A …) so that drift in the
// machine's load hits both alike. A step's time is wall time from its start to its end, GC and
// allocation included; the mean (total / steps) is the headline, p50 and p99 beside it.

import type * as TF from "@tensorflow/tfjs";
import type { crossEntropyLoss, softmaxCrossEntropy, softmaxHead } from "softxent/tfjs";

export type Tf = typeof TF;

export interface Adapter {
  softmaxCrossEntropy: typeof softmaxCrossEntropy;
  crossEntropyLoss: typeof crossEntropyLoss;
  softmaxHead: typeof softmaxHead;
}

export interface Digits {
  /** count × 784 pixels in [0, 1]. */
  pixels: Float32Array;
  labels: Int32Array;
  count: number;
}

export interface Budget {
  /** Untimed steps of each implementation first. */
  warmup: number;
  minSteps: number;
  maxSteps: number;
  /** Stop once both have run minSteps and this much time went into timed steps. */
  timeMs: number;
}

export interface Stat {
  steps: number;
  meanMs: number;
  p50Ms: number;
  p99Ms: number;
}

export interface Row {
  runtime: string;
  backend: string;
  /** fitHead: model.fit with softmaxHead in place of the last Dense (softxent's column). */
  kind: "valueAndGrad" | "fit" | "fitHead" | "loop";
  /** e.g. "[32, 32000]" or "784→256→10, batch 64". */
  label: string;
  tfLosses: Stat;
  softxent: Stat;
  /** tf.losses mean ÷ softxent mean. */
  ratio: number;
  /**
   * Median over rounds of (tf.losses step ÷ softxent step) within the same round: the two steps ran
   * back to back, so drift in the machine's load cancels out. A noise gauge beside `ratio`.
   */
  pairedMedian: number;
  /** Loss of the first step of each (same weights and data): a check that both compute the same thing. */
  firstLoss: { tfLosses: number; softxent: number };
}

type Step = () => unknown;

function stat(times: number[]): Stat {
  const s = times.slice().sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
  return { steps: s.length, meanMs: times.reduce((a, b) => a + b, 0) / times.length, p50Ms: q(0.5), p99Ms: q(0.99) };
}

interface Timings {
  a: number[];
  b: number[];
  /** a ÷ b of the two back-to-back steps of each round. */
  ratios: number[];
}

/** Times a and b alternately (a b, b a, a b, …). Steps may return promises (trainOnBatch). */
async function pairRaw(a: Step, b: Step, budget: Budget): Promise<Timings> {
  for (let i = 0; i < budget.warmup; i++) {
    await a();
    await b();
  }
  const ta: number[] = [],
    tb: number[] = [];
  let spent = 0;
  for (let round = 0; ; round++) {
    if (ta.length >= budget.maxSteps) break;
    if (ta.length >= budget.minSteps && spent >= budget.timeMs) break;
    const order: Array<[Step, number[]]> =
      round % 2 === 0
        ? [
            [a, ta],
            [b, tb],
          ]
        : [
            [b, tb],
            [a, ta],
          ];
    for (const [f, out] of order) {
      const t0 = performance.now();
      await f();
      const dt = performance.now() - t0;
      out.push(dt);
      spent += dt;
    }
  }
  return { a: ta, b: tb, ratios: ta.map((t, i) => t / tb[i]!) };
}

function summarise(t: Timings): [Stat, Stat, number] {
  const r = t.ratios.slice().sort((x, y) => x - y);
  const mid = r.length >> 1;
  const median = r.length % 2 === 1 ? r[mid]! : (r[mid - 1]! + r[mid]!) / 2;
  return [stat(t.a), stat(t.b), median];
}

async function pair(a: Step, b: Step, budget: Budget): Promise<[Stat, Stat, number]> {
  return summarise(await pairRaw(a, b, budget));
}

/** A small seeded generator (mulberry32), so that Node and the page draw the same data. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normals(r: () => number, n: number, scale: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
  return out;
}

function indices(r: () => number, n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(r() * k));
}

export interface Context {
  tf: Tf;
  sx: Adapter;
  runtime: string;
  budget: Budget;
  /** Slow tasks (seconds per step) use this instead. */
  slowBudget: Budget;
  digits: Digits;
  log: (line: string) => void;
  /** Run only scenarios whose label contains one of these (empty: all). */
  only?: string[];
}

const SMOOTHING = 0.1;

function wanted(ctx: Context, label: string): boolean {
  return !ctx.only || ctx.only.length === 0 || ctx.only.some((o) => label.includes(o));
}

function report(ctx: Context, row: Row): Row {
  const f = (s: Stat) => `${s.meanMs.toFixed(2)} ms (p50 ${s.p50Ms.toFixed(2)}, p99 ${s.p99Ms.toFixed(2)}, ${s.steps} steps)`;
  ctx.log(
    `  ${row.runtime} ${row.backend} ${row.kind.padEnd(12)} ${row.label.padEnd(26)} tf.losses ${f(row.tfLosses)}  softxent ${f(row.softxent)}  ${row.ratio.toFixed(2)}× (paired median ${row.pairedMedian.toFixed(2)}×)`,
  );
  return row;
}

/** Loss + gradient via tf.valueAndGrad: one-hot labels for tf.losses, index labels for softxent, ε = 0.1. */
async function microbench(ctx: Context, n: number, k: number): Promise<Row> {
  const { tf, sx } = ctx;
  const r = rng(1000 + k);
  const z = tf.tensor2d(normals(r, n * k, 3), [n, k]);
  const labels = tf.tensor1d(indices(r, n, k), "int32");
  const onehot = tf.tidy(() => tf.oneHot(labels, k).toFloat());
  const fTf = tf.valueAndGrad((x: TF.Tensor) => tf.losses.softmaxCrossEntropy(onehot, x, undefined, SMOOTHING) as TF.Scalar);
  const fSx = tf.valueAndGrad((x: TF.Tensor) => sx.softmaxCrossEntropy(tf, labels, x, { smoothing: SMOOTHING }) as TF.Scalar);
  // One step: loss and gradient, the loss read back (as a loop that logs it); the gradient stays a
  // tensor, as in training, where the next op consumes it.
  const run = (f: typeof fTf) => () => {
    const { value, grad } = f(z);
    const loss = value.dataSync()[0]!;
    tf.dispose([value, grad]);
    return loss;
  };
  const firstLoss = { tfLosses: run(fTf)(), softxent: run(fSx)() };
  const budget = n * k > 1e5 && tf.getBackend() === "cpu" ? ctx.slowBudget : ctx.budget;
  const [a, b, pairedMedian] = await pair(run(fTf), run(fSx), budget);
  tf.dispose([z, labels, onehot]);
  return report(ctx, {
    runtime: ctx.runtime,
    backend: tf.getBackend(),
    kind: "valueAndGrad",
    label: `[${n}, ${k}]`,
    tfLosses: a,
    softxent: b,
    ratio: a.meanMs / b.meanMs,
    pairedMedian,
    firstLoss,
  });
}

interface ModelSpec {
  label: string;
  input: number;
  hidden: number;
  classes: number;
  batch: number;
  slow: boolean;
}

interface Batch {
  x: TF.Tensor;
  onehot: TF.Tensor;
  index: TF.Tensor;
}

function batchesFor(ctx: Context, spec: ModelSpec): Batch[] {
  const { tf } = ctx;
  const out: Batch[] = [];
  const r = rng(spec.classes + spec.hidden);
  const count = spec.classes === 10 ? Math.floor(ctx.digits.count / spec.batch) : 4;
  for (let b = 0; b < count; b++) {
    let xv: Float32Array, yv: Int32Array;
    if (spec.classes === 10) {
      xv = ctx.digits.pixels.subarray(b * spec.batch * 784, (b + 1) * spec.batch * 784);
      yv = ctx.digits.labels.subarray(b * spec.batch, (b + 1) * spec.batch);
    } else {
      xv = normals(r, spec.batch * spec.input, 1);
      yv = indices(r, spec.batch, spec.classes);
    }
    const index = tf.tensor1d(yv, "int32");
    out.push({ x: tf.tensor2d(xv, [spec.batch, spec.input]), index, onehot: tf.tidy(() => tf.oneHot(index, spec.classes).toFloat()) });
  }
  return out;
}

/**
 * Input → Dense(hidden, relu) → Dense(classes) (logits); the same initial weights for both twins. With
 * `head`, the second twin ends in softmaxHead instead of the last Dense (same weights).
 */
function twinModels(ctx: Context, spec: ModelSpec, head: boolean, secondFirst: boolean): [TF.Sequential, TF.Sequential] {
  const { tf, sx } = ctx;
  const make = (withHead: boolean) =>
    tf.sequential({
      layers: [
        tf.layers.dense({ units: spec.hidden, activation: "relu", inputShape: [spec.input], kernelInitializer: "glorotUniform" }),
        withHead
          ? (sx.softmaxHead(tf, {
              units: spec.classes,
              smoothing: SMOOTHING,
              kernelInitializer: "glorotUniform",
            }) as unknown as TF.layers.Layer)
          : tf.layers.dense({ units: spec.classes, kernelInitializer: "glorotUniform" }),
      ],
    });
  let a: TF.Sequential, b: TF.Sequential;
  if (secondFirst) {
    b = make(head);
    a = make(false);
  } else {
    a = make(false);
    b = make(head);
  }
  b.setWeights(a.getWeights());
  return [a, b];
}

/** One implementation pair on given twins: the untimed first step of each (its loss kept), then timed steps. */
async function runKind(
  ctx: Context,
  kind: "fit" | "fitHead" | "loop",
  ma: TF.Sequential,
  mb: TF.Sequential,
  batches: Batch[],
  tfLoss: (y: TF.Tensor, z: TF.Tensor) => TF.Tensor,
  budget: Budget,
  first: (l: Row["firstLoss"]) => void,
): Promise<Timings> {
  const { tf, sx } = ctx;
  let ia = 0,
    ib = 0;
  let stepA: () => Promise<number> | number, stepB: () => Promise<number> | number;
  const opts: TF.Optimizer[] = [];
  if (kind === "fit" || kind === "fitHead") {
    // model.fit's per-batch step. softxent in its per-example form (reduction 'none'), as
    // docs/trainer.md recommends for model.compile; fit's targets are one-hot for both. fitHead: the
    // second twin ends in softmaxHead (smoothing set on the head) and trains with head.loss.
    const head = kind === "fitHead" ? (mb.layers[mb.layers.length - 1] as unknown as ReturnType<Adapter["softmaxHead"]>) : null;
    ma.compile({ optimizer: tf.train.sgd(0.01), loss: tfLoss as never });
    mb.compile({
      optimizer: tf.train.sgd(0.01),
      loss: (head !== null ? head.loss : sx.crossEntropyLoss(tf, { smoothing: SMOOTHING, reduction: "none" })) as never,
    });
    stepA = async () => {
      const b = batches[ia++ % batches.length]!;
      return (await ma.trainOnBatch(b.x, b.onehot)) as number;
    };
    stepB = async () => {
      const b = batches[ib++ % batches.length]!;
      return (await mb.trainOnBatch(b.x, b.onehot)) as number;
    };
  } else {
    // A custom loop: optimizer.minimize over the model's variables, the cost read back each step.
    // tf.losses takes one-hot labels; softxent takes the index labels directly.
    const oa = tf.train.sgd(0.01),
      ob = tf.train.sgd(0.01);
    opts.push(oa, ob);
    const loop = (m: TF.Sequential, o: TF.Optimizer, loss: (b: Batch, z: TF.Tensor) => TF.Tensor, next: () => Batch) => () => {
      const b = next();
      const cost = o.minimize(() => loss(b, m.apply(b.x) as TF.Tensor) as TF.Scalar, true)!;
      const v = cost.dataSync()[0]!;
      cost.dispose();
      return v;
    };
    stepA = loop(
      ma,
      oa,
      (b, z) => tfLoss(b.onehot, z),
      () => batches[ia++ % batches.length]!,
    );
    stepB = loop(
      mb,
      ob,
      (b, z) => sx.softmaxCrossEntropy(tf, b.index, z, { smoothing: SMOOTHING }),
      () => batches[ib++ % batches.length]!,
    );
  }
  first({ tfLosses: await stepA(), softxent: await stepB() });
  const t = await pairRaw(stepA, stepB, budget);
  for (const o of opts) o.dispose();
  return t;
}

async function modelScenarios(ctx: Context, spec: ModelSpec): Promise<Row[]> {
  const { tf } = ctx;
  const rows: Row[] = [];
  const batches = batchesFor(ctx, spec);
  const budget = spec.slow ? ctx.slowBudget : ctx.budget;
  const tfLoss = (y: TF.Tensor, z: TF.Tensor) => tf.losses.softmaxCrossEntropy(y, z, undefined, SMOOTHING);
  // Which twin is built first matters to TF.js's heap layout (measured: the second one ran up to 10%
  // slower on the wasm backend at 512→512→32000, whichever loss it had). Each scenario runs in two
  // halves, the tf.losses twin built first in one and the softxent twin in the other, pooled.
  const half: Budget = {
    warmup: budget.warmup,
    minSteps: Math.ceil(budget.minSteps / 2),
    maxSteps: Math.ceil(budget.maxSteps / 2),
    timeMs: budget.timeMs / 2,
  };
  for (const kind of ["fit", "fitHead", "loop"] as const) {
    const pooled: Timings = { a: [], b: [], ratios: [] };
    let firstLoss = { tfLosses: NaN, softxent: NaN };
    for (const swap of [false, true]) {
      const [ma, mb] = twinModels(ctx, spec, kind === "fitHead", swap);
      const t = await runKind(ctx, kind, ma, mb, batches, tfLoss, half, (l) => {
        if (!swap) firstLoss = l;
      });
      pooled.a.push(...t.a);
      pooled.b.push(...t.b);
      pooled.ratios.push(...t.ratios);
      ma.dispose();
      mb.dispose();
    }
    const [a, b, pairedMedian] = summarise(pooled);
    rows.push(
      report(ctx, {
        runtime: ctx.runtime,
        backend: tf.getBackend(),
        kind,
        label: spec.label,
        tfLosses: a,
        softxent: b,
        ratio: a.meanMs / b.meanMs,
        pairedMedian,
        firstLoss,
      }),
    );
  }
  for (const b of batches) tf.dispose([b.x, b.onehot, b.index]);
  return rows;
}

export const MODELS: ModelSpec[] = [
  { label: "784→256→10, batch 64", input: 784, hidden: 256, classes: 10, batch: 64, slow: false },
  { label: "128→128→32000, batch 32", input: 128, hidden: 128, classes: 32000, batch: 32, slow: true },
  { label: "512→512→32000, batch 32", input: 512, hidden: 512, classes: 32000, batch: 32, slow: true },
];

/** Every scenario on the current backend. */
export async function runScenarios(ctx: Context): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [n, k] of [
    [32, 32000],
    [128, 10],
  ] as const) {
    if (wanted(ctx, `[${n}, ${k}]`)) rows.push(await microbench(ctx, n, k));
  }
  for (const spec of MODELS) {
    if (wanted(ctx, spec.label)) rows.push(...(await modelScenarios(ctx, spec)));
  }
  return rows;
}
