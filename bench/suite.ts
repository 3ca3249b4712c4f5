// The benchmark suite: label-smoothed cross-entropy, loss + gradient, over a grid of shapes, for
// softxent's builds (copying API, reused gradOut, resident buffers, bare kernel), the peers that
// live in this package (plain JS, the f64 reference, TF.js cpu / wasm) in the same process, and the
// bare exp / scale bounds; then logSoftmax, softmax and smoothTargets against their bounds. Every
// answer is checked against the f64 reference before it is timed. Each row reports the mean time
// per call with p50 / p99, pooled over the rounds (measure.ts). Returns the JSON report
// (bench/types.ts); rendering lives in report.ts and svg.ts. The peers installed apart
// (onnxruntime, jax-js) run in their own processes: bench/peers-main.ts.

import {
  allocFloat32,
  allocInt32,
  backendInfo,
  crossEntropy,
  initSync,
  logSoftmax,
  smoothTargets,
  softmax,
  VERSION,
  type WasmBuffer,
} from "softxent";
import * as reference from "softxent/reference";
import { checkAgainst, maxAbsDiff, passes, TOLERANCE, type Check } from "./check.js";
import { makeData, shapeId, type BenchData, type Shape } from "./data.js";
import { finishMachine, gitState, installedVersion, machineNow } from "./environment.js";
import { benchKernels } from "./kernels.js";
import { measure, pool, type Budget, type Timing } from "./measure.js";
import { repoRoot } from "./paths.js";
import { fmtMs } from "./report.js";
import { plainCrossEntropy } from "./peers/plain.js";
import { tfPeer, type TfBackend } from "./peers/tfjs.js";
import { PEERS, SCHEMA, type BenchReport, type FunctionRow, type Op, type PeerId, type RatioRow, type ResultRow } from "./types.js";

export const DEFAULT_SHAPES: readonly Shape[] = [
  { n: 128, k: 10 },
  { n: 1024, k: 100 },
  { n: 256, k: 1000 },
  { n: 32, k: 32000 },
  { n: 8, k: 128000 },
];
export const DEFAULT_FUNCTIONS_SHAPE: Shape = { n: 32, k: 32000 };

export interface SuiteOptions {
  shapes?: readonly Shape[];
  /** Shape for logSoftmax / softmax / smoothTargets; null skips them. */
  functionsShape?: Shape | null;
  smoothing?: number;
  budget?: Partial<Budget>;
  quick?: boolean;
  /** Times the whole suite runs; each task keeps its fastest round (default 2, 1 when quick). */
  rounds?: number;
  /** Leave out the TF.js peers (they are also skipped, with a note, when TF.js cannot be loaded). */
  tfjs?: boolean;
  log?: (line: string) => void;
}

const DEFAULT_BUDGET: Budget = { timeMs: 400, minIterations: 8, slowCapMs: 2000 };
const QUICK_BUDGET: Budget = { timeMs: 20, minIterations: 1, slowCapMs: 200 };

type CeOut = { loss: number; grad: ArrayLike<number> };

/** A row's identity, before it is timed. */
type RowMeta = Omit<ResultRow, "shape" | "time" | "mlogitsPerSec" | "check">;

interface Reference {
  loss: number;
  grad: Float64Array;
}

export async function runSuite(options: SuiteOptions = {}): Promise<BenchReport> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const quick = options.quick ?? false;
  const shapes = options.shapes ?? DEFAULT_SHAPES;
  const functionsShape = options.functionsShape === undefined ? DEFAULT_FUNCTIONS_SHAPE : options.functionsShape;
  const eps = options.smoothing ?? 0.1;
  const budget: Budget = { ...(quick ? QUICK_BUDGET : DEFAULT_BUDGET), ...options.budget };
  const rounds = budget.fixedIterations !== undefined ? 1 : Math.max(1, options.rounds ?? (quick ? 1 : 2));
  // Per task (op/impl/shape): what the row says, and one Timing per round, pooled at the end.
  const tasks = new Map<string, { row: RowMeta; check: Check | null; timings: Timing[] }>();
  const measuredNow = new Set<string>();
  const noteSet = new Set<string>();
  const note = (text: string) => noteSet.add(text);
  const machine = machineNow();
  const kernels = await benchKernels();
  const root = repoRoot();

  const datasets = new Map<string, BenchData>();
  const refs = new Map<string, Reference>();
  const dataFor = (s: Shape): BenchData => {
    const id = shapeId(s);
    let d = datasets.get(id);
    if (!d) {
      d = makeData(s);
      datasets.set(id, d);
    }
    return d;
  };
  const refFor = (d: BenchData): Reference => {
    const id = shapeId(d.shape);
    let r = refs.get(id);
    if (!r) {
      const out = reference.crossEntropy(d.logits, d.labels, { classes: d.shape.k, smoothing: eps });
      r = { loss: out.loss as number, grad: out.grad! };
      refs.set(id, r);
    }
    return r;
  };

  async function time(row: RowMeta, fn: () => unknown, check: Check | null): Promise<void> {
    const shape = `${row.n}x${row.k}`;
    const key = `${row.op}/${row.impl}/${shape}`;
    const t = await measure(`${row.op} ${row.impl} ${shape}`, fn, budget);
    const entry = tasks.get(key) ?? { row, check, timings: [] };
    entry.timings.push(t);
    tasks.set(key, entry);
    measuredNow.add(key);
    const mean = t.totalMs / t.calls;
    log(
      `  ${row.op.padEnd(13)} ${row.label.padEnd(44)} ${shape.padStart(10)}  mean ${fmtMs(mean).padStart(9)}  ${((row.n * row.k) / (mean * 1e3)).toFixed(1).padStart(8)} M/s  (${t.perCallMs.length}×${t.repeat} calls)`,
    );
  }

  function ceCheck(d: BenchData, label: string, out: CeOut): Check {
    const c = checkAgainst(out.loss, out.grad, refFor(d));
    if (!passes(c, TOLERANCE.softxent)) {
      note(
        `${label} at ${shapeId(d.shape)} disagrees with the reference (loss rel. err ${c.lossRelErr!.toExponential(1)}, max |Δgrad| ÷ max |grad| ${c.gradRelErr.toExponential(1)})`,
      );
    }
    return c;
  }

  async function benchFunctions(build: "relaxed-simd" | "simd" | "scalar", B: string, s: Shape): Promise<void> {
    const d = dataFor(s);
    const { n, k } = s;
    const nk = n * k;
    const refLog = reference.logSoftmax(d.logits, { classes: k });
    const refSoft = reference.softmax(d.logits, { classes: k });
    const refSmooth = reference.smoothTargets(d.labels, { classes: k, smoothing: eps });
    const z = allocFloat32(nk),
      y = allocInt32(n),
      o = allocFloat32(nk),
      x = allocFloat32(nk);
    try {
      z.view.set(d.logits);
      y.view.set(d.labels);
      x.view.set(d.shifted);
      const fns: { op: Op; copy: () => Float32Array; resident: () => Float32Array; ref: Float64Array }[] = [
        {
          op: "logSoftmax",
          copy: () => logSoftmax(d.logits, { classes: k }),
          resident: () => logSoftmax(z, { classes: k, out: o }),
          ref: refLog,
        },
        { op: "softmax", copy: () => softmax(d.logits, { classes: k }), resident: () => softmax(z, { classes: k, out: o }), ref: refSoft },
        {
          op: "smoothTargets",
          copy: () => smoothTargets(d.labels, { classes: k, smoothing: eps }),
          resident: () => smoothTargets(y, { classes: k, smoothing: eps, out: o }),
          ref: refSmooth,
        },
      ];
      for (const f of fns) {
        for (const path of ["copy", "resident"] as const) {
          const run = path === "copy" ? f.copy : f.resident;
          const err = maxAbsDiff(run(), f.ref);
          if (!(err <= 1e-4)) note(`${f.op} (${build}, ${path}) disagrees with the reference: max |Δ| ${err.toExponential(1)}`);
          await time(
            {
              op: f.op,
              impl: `softxent-${build}-${path}`,
              label: `softxent ${B}, ${path === "copy" ? "copying API" : "resident buffers"}`,
              kind: "softxent",
              build,
              path,
              n,
              k,
            },
            run,
            { loss: null, lossRelErr: null, maxAbsErr: err, gradRelErr: err },
          );
        }
      }
      // The bounds at this shape (if the grid above did not already measure them).
      const id = shapeId(s);
      if (!measuredNow.has(`expBound/bound-exp-${build}/${id}`)) {
        await time(
          { op: "expBound", impl: `bound-exp-${build}`, label: `bound: exp pass (${B})`, kind: "bound", build, path: "resident", n, k },
          () => kernels.expPass(x, o),
          null,
        );
        await time(
          {
            op: "scaleBound",
            impl: `bound-scale-${build}`,
            label: `bound: scale pass (${B})`,
            kind: "bound",
            build,
            path: "resident",
            n,
            k,
          },
          () => kernels.scalePass(z, o, 0.5),
          null,
        );
      }
    } finally {
      for (const b of [z, y, o, x] as WasmBuffer<Float32Array | Int32Array>[]) b.release();
    }
  }

  let tfjsWasmSimd: boolean | null = null;
  const tfVersions: Record<string, string> = {};
  for (let round = 0; round < rounds; round++) {
    measuredNow.clear();
    if (rounds > 1) log(`round ${round + 1} of ${rounds}`);
    // ---- softxent, each build in turn (one build per module instance)
    // relaxed SIMD runs only where the engine validates it (Node 20: npm run bench passes
    // --experimental-wasm-relaxed-simd); otherwise it is noted and skipped.
    const BUILD_INIT = {
      "relaxed-simd": { relaxedSimd: true },
      simd: { simd: true, relaxedSimd: false },
      scalar: { simd: false },
    } as const;
    for (const build of ["relaxed-simd", "simd", "scalar"] as const) {
      try {
        initSync(BUILD_INIT[build]);
      } catch (err) {
        if (round === 0) note(`softxent ${build} build not run: ${(err as Error).message}`);
        continue;
      }
      const B = build === "simd" ? "SIMD" : build === "scalar" ? "scalar" : "relaxed SIMD";
      log(`softxent ${B} build (${backendInfo().build})`);
      for (const s of shapes) {
        const d = dataFor(s);
        const { n, k } = s;
        const nk = n * k;
        const z = allocFloat32(nk),
          y = allocInt32(n),
          g = allocFloat32(nk),
          x = allocFloat32(nk),
          o = allocFloat32(nk);
        try {
          z.view.set(d.logits);
          y.view.set(d.labels);
          x.view.set(d.shifted);
          const opts = { classes: k, smoothing: eps };
          const copyRun = () => crossEntropy(d.logits, d.labels, opts);
          const copyOut = copyRun();
          await time(
            {
              op: "crossEntropy",
              impl: `softxent-${build}-copy`,
              label: `softxent ${B}, copying API`,
              kind: "softxent",
              build,
              path: "copy",
              n,
              k,
            },
            copyRun,
            ceCheck(d, `softxent ${B} copy`, { loss: copyOut.loss, grad: copyOut.grad! }),
          );
          const gradPlain = new Float32Array(nk);
          const copyOutOpts = { classes: k, smoothing: eps, gradOut: gradPlain };
          const copyOutRun = () => crossEntropy(d.logits, d.labels, copyOutOpts);
          const copyOutOut = copyOutRun();
          await time(
            {
              op: "crossEntropy",
              impl: `softxent-${build}-copyout`,
              label: `softxent ${B}, copying API, gradOut array`,
              kind: "softxent",
              build,
              path: "copyOut",
              n,
              k,
            },
            copyOutRun,
            ceCheck(d, `softxent ${B} copy + gradOut`, { loss: copyOutOut.loss, grad: copyOutOut.grad! }),
          );
          const resOpts = { classes: k, smoothing: eps, gradOut: g };
          const resRun = () => crossEntropy(z, y, resOpts);
          const resOut = resRun();
          await time(
            {
              op: "crossEntropy",
              impl: `softxent-${build}-resident`,
              label: `softxent ${B}, resident buffers`,
              kind: "softxent",
              build,
              path: "resident",
              n,
              k,
            },
            resRun,
            ceCheck(d, `softxent ${B} resident`, { loss: resOut.loss, grad: resOut.grad! }),
          );
          // The same loss with the targets as a dense N×K matrix (the smoothed one-hot rows): what soft
          // labels (mixup, averaged annotators) cost against index labels. Checked against the same reference.
          const tb = allocFloat32(nk);
          try {
            tb.view.set(reference.smoothTargets(d.labels, { classes: k, smoothing: eps }));
            const probOpts = { classes: k, gradOut: g };
            const probRun = () => crossEntropy(z, tb, probOpts);
            const probOut = probRun();
            await time(
              {
                op: "crossEntropy",
                impl: `softxent-${build}-resident-prob`,
                label: `softxent ${B}, resident, probability targets`,
                kind: "softxent",
                build,
                path: "resident",
                n,
                k,
              },
              probRun,
              ceCheck(d, `softxent ${B} probability targets`, { loss: probOut.loss as number, grad: probOut.grad! }),
            );
          } finally {
            tb.release();
          }
          const kernelRun = () => kernels.crossEntropyKernel(z, y, g, k, eps);
          const kernelLoss = kernelRun();
          await time(
            {
              op: "crossEntropy",
              impl: `softxent-${build}-kernel`,
              label: `softxent ${B}, bare kernel`,
              kind: "softxent",
              build,
              path: "kernel",
              n,
              k,
            },
            kernelRun,
            ceCheck(d, `softxent ${B} kernel`, { loss: kernelLoss, grad: g.view }),
          );
          await time(
            { op: "expBound", impl: `bound-exp-${build}`, label: `bound: exp pass (${B})`, kind: "bound", build, path: "resident", n, k },
            () => kernels.expPass(x, o),
            null,
          );
          await time(
            {
              op: "scaleBound",
              impl: `bound-scale-${build}`,
              label: `bound: scale pass (${B})`,
              kind: "bound",
              build,
              path: "resident",
              n,
              k,
            },
            () => kernels.scalePass(z, o, 0.5),
            null,
          );
        } finally {
          for (const b of [z, y, g, x, o] as WasmBuffer<Float32Array | Int32Array>[]) b.release();
        }
      }
      if (functionsShape) await benchFunctions(build, B, functionsShape);
    }

    // ---- peers
    log("peers");
    for (const s of shapes) {
      const d = dataFor(s);
      const { n, k } = s;
      const grad = new Float32Array(n * k);
      const plainRun = () => plainCrossEntropy(d.logits, d.labels, k, eps, grad);
      const plainLoss = plainRun();
      await time(
        { op: "crossEntropy", impl: "plain-js", label: "plain JS (f32, Math.exp, 3 passes)", kind: "peer", build: null, path: null, n, k },
        plainRun,
        ceCheck(d, "plain JS", { loss: plainLoss, grad }),
      );
      const refRun = () => reference.crossEntropy(d.logits, d.labels, { classes: k, smoothing: eps });
      const r = refFor(d);
      await time(
        { op: "crossEntropy", impl: "reference", label: "softxent reference (f64 JS)", kind: "peer", build: null, path: null, n, k },
        refRun,
        { loss: r.loss, lossRelErr: 0, maxAbsErr: 0, gradRelErr: 0 },
      );
    }

    if (options.tfjs !== false) {
      // wasm first: a TF.js backend that ran earlier in the process must not tax the next one's numbers.
      for (const backend of ["wasm", "cpu"] as TfBackend[]) {
        let peer: Awaited<ReturnType<typeof tfPeer>>;
        try {
          peer = await tfPeer(backend);
        } catch (err) {
          note(`TF.js ${backend} backend not run: ${(err as Error).message}`);
          continue;
        }
        Object.assign(tfVersions, peer.versions);
        if (backend === "wasm") tfjsWasmSimd = peer.simd;
        const label = `TF.js ${peer.versions["@tensorflow/tfjs"]} ${backend}${backend === "wasm" ? (peer.simd ? " (SIMD)" : " (no SIMD)") : ""}`;
        log(label);
        for (const s of shapes) {
          const d = dataFor(s);
          const task = peer.prepare(d.logits, d.labels, s.k, eps);
          try {
            const first = task.run();
            const live = task.liveTensors();
            await time(
              { op: "crossEntropy", impl: `tfjs-${backend}`, label, kind: "peer", build: null, path: null, n: s.n, k: s.k },
              () => task.run(),
              ceCheck(d, label, first),
            );
            if (task.liveTensors() !== live) note(`TF.js ${backend} leaked tensors at ${shapeId(s)}`);
          } finally {
            task.dispose();
          }
        }
      }
    } else {
      note("TF.js peers left out (--no-tfjs)");
    }
  }
  const results: ResultRow[] = [...tasks.values()].map(({ row, check, timings }) => {
    const time = pool(timings);
    return { ...row, shape: `${row.n}x${row.k}`, time, mlogitsPerSec: (row.n * row.k) / (time.meanMs * 1e3), check };
  });
  const notes = [...noteSet];

  const report: BenchReport = {
    schema: SCHEMA,
    date: new Date().toISOString(),
    machine: finishMachine(machine),
    runtime: { node: process.version, v8: process.versions.v8 },
    versions: {
      softxent: VERSION,
      tinybench: installedVersion(root, "tinybench"),
      assemblyscript: installedVersion(root, "assemblyscript"),
      ...(Object.keys(tfVersions).length ? tfVersions : { "@tensorflow/tfjs": installedVersion(root, "@tensorflow/tfjs") }),
    },
    git: gitState(root),
    settings: {
      smoothing: eps,
      shapes: shapes.map(shapeId),
      functionsShape: functionsShape ? shapeId(functionsShape) : null,
      timeMsPerTask: budget.fixedIterations !== undefined ? 0 : budget.timeMs,
      rounds,
      quick,
      threads: 1,
      tfjsWasmSimd,
      durationSec: 0,
    },
    results,
    ratios: deriveRatios(results),
    functions: deriveFunctions(results),
    notes,
  };
  report.settings.durationSec = Math.round((performance.now() - started) / 100) / 10;
  return report;
}

function find(results: readonly ResultRow[], op: Op, impl: string, shape: string): ResultRow | undefined {
  return results.find((r) => r.op === op && r.impl === impl && r.shape === shape);
}

/** Speed-ups (peer mean ÷ this mean) of every crossEntropy row against every peer, and mean ÷ exp bound. */
export function deriveRatios(results: readonly ResultRow[]): RatioRow[] {
  const rows: RatioRow[] = [];
  for (const r of results) {
    if (r.op !== "crossEntropy") continue;
    const vs = {} as Record<PeerId, number | null>;
    for (const p of PEERS) {
      const peer = find(results, "crossEntropy", p, r.shape);
      vs[p] = peer ? peer.time.meanMs / r.time.meanMs : null;
    }
    const bound = find(results, "expBound", `bound-exp-${r.build ?? "simd"}`, r.shape);
    rows.push({ impl: r.impl, label: r.label, shape: r.shape, vs, overExpBound: bound ? r.time.meanMs / bound.time.meanMs : null });
  }
  return rows;
}

/** logSoftmax / softmax against the exp bound, smoothTargets against the scale (memory) bound. */
export function deriveFunctions(results: readonly ResultRow[]): FunctionRow[] {
  const rows: FunctionRow[] = [];
  for (const r of results) {
    if (r.op !== "logSoftmax" && r.op !== "softmax" && r.op !== "smoothTargets") continue;
    const bound = r.op === "smoothTargets" ? "scaleBound" : "expBound";
    const b = find(results, bound, `bound-${bound === "expBound" ? "exp" : "scale"}-${r.build}`, r.shape);
    rows.push({
      op: r.op,
      impl: r.impl,
      label: r.label,
      shape: r.shape,
      mlogitsPerSec: r.mlogitsPerSec,
      bound,
      overBound: b ? r.time.meanMs / b.time.meanMs : null,
    });
  }
  return rows;
}
