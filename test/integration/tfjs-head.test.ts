/**
 * softmaxHead (softxent/tfjs) in tfjs-layers' model.fit, on the cpu and the wasm backend.
 * - Equivalence with the Dense model it replaces: same initial weights, same batches, 4 SGD steps of
 *   Dense + tf.losses.softmaxCrossEntropy (ε = 0.1) against the head: every step's loss and every weight
 *   within 1e-4 of the largest weight; predict within 1e-3 of the Dense model's logits. Also at
 *   128→128→32000 on the wasm backend (the bench's model), and with a rank-3 hidden (functional API).
 * - Every index-target option (smoothing 'others', ignoreIndex as all-zero rows, classWeights in both
 *   modes, zLoss, reductions incl. tf.Reduction values): one fit step of the head equals one custom-loop
 *   step of the Dense twin with softxent's crossEntropy on the logits and index labels (a different
 *   code path: TF.js's product, the row kernel, TF.js's backward products).
 * - fit's classWeight: equals the Dense twin with crossEntropyLoss(reduction 'none'), whose per-example
 *   weighting test/integration/tfjs-fit.test.ts checks against an f64 hand step.
 * - No tensor, no TF.js byte and no softxent wasm byte leaked over 200 fit steps.
 * - Weights interchangeable with Dense (useBias false too), save/load through tf.serialization, summary,
 *   output 'probabilities', head.accuracy in fit and evaluate, a Keras metric on the placeholder refused,
 *   bad options and targets refused with the fix named, and the model still trains after each error.
 */
import { createRequire } from "node:module";
import { dirname } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { backendInfo, init } from "../../dist/index.js";
import { crossEntropyLoss, registerSoftmaxHead, softmaxCrossEntropy, softmaxHead } from "../../dist/tfjs.js";
import { mulberry32 } from "../helpers/rng.js";

const rng = mulberry32(2020);

beforeAll(async () => {
  await init();
  const require = createRequire(import.meta.url);
  setWasmPaths(dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/");
  tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
});

afterAll(async () => {
  await tf.setBackend("cpu");
});

function normals(n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
  return out;
}

function labels(n: number, v: number): Int32Array {
  return Int32Array.from({ length: n }, () => Math.floor(rng() * v));
}

/** One-hot rows; a label < 0 gives an all-zero row (a row to ignore). */
function oneHot(y: Int32Array, v: number, shape: number[] = [y.length, v]): tf.Tensor {
  const t = new Float32Array(y.length * v);
  y.forEach((c, i) => {
    if (c >= 0) t[i * v + c] = 1;
  });
  return tf.tensor(t, shape);
}

interface Twins {
  dense: tf.LayersModel;
  model: tf.LayersModel;
  head: ReturnType<typeof softmaxHead>;
}

/** Input [d] → Dense(h, relu) → Dense(v) and the same with the head; the head's model takes the Dense one's weights. */
function twins(d: number, h: number, v: number, options: Record<string, unknown> = {}, useBias = true): Twins {
  const body = () => tf.layers.dense({ units: h, activation: "relu", inputShape: [d] });
  const dense = tf.sequential({ layers: [body(), tf.layers.dense({ units: v, useBias })] });
  const head = softmaxHead(tf, { units: v, useBias, ...options });
  const model = tf.sequential({ layers: [body(), head] });
  model.setWeights(dense.getWeights());
  return { dense, model, head };
}

function flatWeights(m: tf.LayersModel): Float32Array[] {
  return m.getWeights().map((t) => Float32Array.from(t.dataSync() as Float32Array));
}

/** max |a − b| over all weights ÷ max |a| (the measure). */
function weightGap(a: tf.LayersModel, b: tf.LayersModel): number {
  const wa = flatWeights(a),
    wb = flatWeights(b);
  let big = 0,
    gap = 0;
  wa.forEach((w, i) => {
    expect(wb[i]!.length).toBe(w.length);
    for (let j = 0; j < w.length; j++) {
      big = Math.max(big, Math.abs(w[j]!));
      gap = Math.max(gap, Math.abs(w[j]! - wb[i]![j]!));
    }
  });
  return gap / big;
}

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync(),
    y = b.dataSync();
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]! - y[i]!));
  return m;
}

async function equivalence(d: number, h: number, v: number, n: number): Promise<void> {
  const { dense, model, head } = twins(d, h, v, { smoothing: 0.1 });
  dense.compile({
    optimizer: tf.train.sgd(0.5),
    loss: (y: tf.Tensor, z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z, undefined, 0.1),
  });
  model.compile({ optimizer: tf.train.sgd(0.5), loss: head.loss });
  const batches = Array.from({ length: 4 }, () => ({ x: tf.tensor2d(normals(n * d), [n, d]), y: oneHot(labels(n, v), v) }));
  for (const b of batches) {
    const la = (await dense.trainOnBatch(b.x, b.y)) as number;
    const lb = (await model.trainOnBatch(b.x, b.y)) as number;
    expect(Math.abs(la - lb)).toBeLessThan(1e-4 * Math.max(1, Math.abs(la)));
  }
  expect(weightGap(dense, model)).toBeLessThan(1e-4);
  const za = dense.predict(batches[0]!.x) as tf.Tensor;
  const zb = model.predict(batches[0]!.x) as tf.Tensor;
  expect(maxAbsDiff(za, zb)).toBeLessThan(1e-3);
  tf.dispose([za, zb, ...batches.flatMap((b) => [b.x, b.y])]);
  dense.dispose();
  model.dispose();
}

for (const backend of ["cpu", "wasm"] as const) {
  describe(`softmaxHead in model.fit, TF.js ${backend} backend`, () => {
    beforeAll(async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      await tf.ready();
    });

    it("4 SGD steps match Dense + tf.losses.softmaxCrossEntropy (loss, weights within 1e-4; predict within 1e-3)", async () => {
      await equivalence(19, 13, 1003, 11);
    });

    if (backend === "wasm") {
      it("the same at 128→128→32000, batch 32 (the bench's model)", async () => {
        await equivalence(128, 128, 32000, 32);
      });
    }

    it("functional API with a rank-3 hidden [B, T, D]: matches Dense after 2 fit steps", async () => {
      const [b, t, d, v] = [3, 5, 7, 211];
      const body = () => {
        const input = tf.input({ shape: [t, d] });
        return [input, tf.layers.dense({ units: 9, activation: "tanh" }).apply(input) as tf.SymbolicTensor] as const;
      };
      const [inA, hA] = body();
      const dense = tf.model({ inputs: inA, outputs: tf.layers.dense({ units: v }).apply(hA) as tf.SymbolicTensor });
      const head = softmaxHead(tf, { units: v });
      const [inB, hB] = body();
      const model = tf.model({ inputs: inB, outputs: head.apply(hB) as tf.SymbolicTensor });
      model.setWeights(dense.getWeights());
      dense.compile({ optimizer: tf.train.sgd(0.3), loss: (y: tf.Tensor, z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z) });
      model.compile({ optimizer: tf.train.sgd(0.3), loss: head.loss });
      const x = tf.tensor3d(normals(b * t * d), [b, t, d]);
      const y = oneHot(labels(b * t, v), v, [b, t, v]);
      for (let s = 0; s < 2; s++) {
        const la = (await dense.trainOnBatch(x, y)) as number;
        const lb = (await model.trainOnBatch(x, y)) as number;
        expect(Math.abs(la - lb)).toBeLessThan(1e-4 * Math.max(1, la));
      }
      expect(weightGap(dense, model)).toBeLessThan(1e-4);
      const za = dense.predict(x) as tf.Tensor,
        zb = model.predict(x) as tf.Tensor;
      expect(zb.shape).toEqual([b, t, v]);
      expect(maxAbsDiff(za, zb)).toBeLessThan(1e-3);
      tf.dispose([x, y, za, zb]);
      dense.dispose();
      model.dispose();
    });

    it("a custom loop with model.apply(x, { training: true }) and head.loss takes the same step as fit", async () => {
      const { model, head } = twins(5, 7, 33, { smoothing: 0.1 });
      const { model: twin, head: twinHead } = twins(5, 7, 33, { smoothing: 0.1 });
      twin.setWeights(model.getWeights());
      model.compile({ optimizer: tf.train.sgd(0.4), loss: head.loss });
      const x = tf.tensor2d(normals(6 * 5), [6, 5]);
      const yt = oneHot(labels(6, 33), 33);
      const lf = (await model.trainOnBatch(x, yt)) as number;
      const opt = tf.train.sgd(0.4);
      const cost = opt.minimize(() => tf.mean(twinHead.loss(yt, twin.apply(x, { training: true }) as tf.Tensor)) as tf.Scalar, true)!;
      expect(cost.dataSync()[0]).toBeCloseTo(lf, 5);
      expect(weightGap(model, twin)).toBeLessThan(1e-6);
      tf.dispose([x, yt, cost]);
      opt.dispose();
      model.dispose();
      twin.dispose();
    });

    const optionCases: Array<[string, Record<string, unknown>]> = [
      ["smoothing 'others', reduction 'none' (default)", { smoothing: 0.2, smoothingMode: "others" }],
      ["ignoreIndex (all-zero rows), 'mean'", { smoothing: 0.1, reduction: "mean" }],
      ["classWeights 'pytorch', 'mean'", { smoothing: 0.1, classWeights: "w", reduction: "mean" }],
      ["classWeights 'target', 'sum'", { smoothing: 0.1, classWeights: "w", classWeightMode: "target", reduction: "sum" }],
      ["zLoss, tf.Reduction.SUM_BY_NONZERO_WEIGHTS", { zLoss: 1e-3, reduction: 3 }],
      ["ignoreIndex 0 (class 0 is padding), tf.Reduction.NONE", { ignoreIndex: 0, reduction: 0 }],
      ["focal γ = 2 with smoothing, 'mean'", { smoothing: 0.1, focal: { gamma: 2 }, reduction: "mean" }],
      [
        "focal FLSD-53, a per-class α and classWeights 'target', 'none'",
        { focal: { gamma: "flsd-53", alpha: "a" }, classWeights: "w", classWeightMode: "target" },
      ],
    ];
    for (const [name, raw] of optionCases) {
      it(`options: ${name} — one fit step equals the Dense twin's custom-loop step with crossEntropy`, async () => {
        const [n, d, h, v] = [14, 6, 10, 97];
        const options = { ...raw };
        if (options.classWeights === "w") options.classWeights = Array.from({ length: v }, () => 0.2 + 2 * rng());
        const focal = options.focal as { gamma: unknown; alpha?: unknown } | undefined;
        if (focal?.alpha === "a") options.focal = { ...focal, alpha: Array.from({ length: v }, () => 0.1 + rng()) };
        const { dense, model, head } = twins(d, h, v, options);
        const y = labels(n, v);
        const ignore = (options.ignoreIndex as number | undefined) ?? -100;
        // rows to ignore: all-zero one-hot rows for the head, ignoreIndex for the index labels
        y[2] = -1;
        y[7] = -1;
        const yIndex = Int32Array.from(y, (c) => (c < 0 ? ignore : c));
        if (ignore === 0) y[3] = 0; // a one-hot row at class 0 is ignored too when class 0 is ignoreIndex
        if (ignore === 0) yIndex[3] = 0;
        const x = tf.tensor2d(normals(n * d), [n, d]);
        const yt = oneHot(y, v);
        model.compile({ optimizer: tf.train.sgd(0.5), loss: head.loss });
        const lb = (await model.trainOnBatch(x, yt)) as number;
        const opt = tf.train.sgd(0.5);
        const perRow = options.reduction === undefined || options.reduction === 0 || options.reduction === "none";
        const la = opt.minimize(() => {
          // the head's default reduction is 'none' (the adapter's is 'mean')
          const l = softmaxCrossEntropy(
            tf,
            yIndex,
            dense.apply(x) as tf.Tensor,
            { ...options, reduction: perRow ? "none" : options.reduction } as never,
          );
          return (perRow ? tf.mean(l) : l) as tf.Scalar; // fit averages a per-row loss over the batch
        }, true)!;
        expect(Math.abs(la.dataSync()[0]! - lb)).toBeLessThan(1e-5 * Math.max(1, Math.abs(lb)));
        expect(weightGap(dense, model)).toBeLessThan(1e-5);
        tf.dispose([x, yt, la]);
        opt.dispose();
        dense.dispose();
        model.dispose();
      });
    }

    it("fit's classWeight weights each example (equals Dense + crossEntropyLoss reduction 'none'), with and without the head's classWeights", async () => {
      for (const extra of [{}, { classWeights: "w", classWeightMode: "target" }]) {
        const [n, d, h, v] = [12, 5, 8, 6];
        const options: Record<string, unknown> = { smoothing: 0.1, ...extra };
        if (options.classWeights === "w") options.classWeights = [1.5, 0.5, 1, 2, 1, 0.25];
        const { dense, model, head } = twins(d, h, v, options);
        const x = tf.tensor2d(normals(n * d), [n, d]);
        const y = labels(n, v);
        y[0] = 3;
        y[1] = 4;
        const yt = oneHot(y, v);
        const classWeight = { 0: 1, 1: 3, 2: 0.5, 3: 2, 4: 1, 5: 0.1 };
        dense.compile({ optimizer: tf.train.sgd(0.5), loss: crossEntropyLoss(tf, { ...(options as object), reduction: "none" }) as never });
        model.compile({ optimizer: tf.train.sgd(0.5), loss: head.loss });
        // crossEntropyLoss reads fit's one-hot targets as probabilities, where 'target' class weights
        // (index-only) do not apply: that case is compared with a custom loop weighting each row by hand.
        if (options.classWeights === undefined) {
          await dense.fit(x, yt, { batchSize: n, epochs: 1, shuffle: false, verbose: 0, classWeight });
        } else {
          const sw = tf.tensor1d(Array.from(y, (c) => classWeight[c as 0]));
          const opt = tf.train.sgd(0.5);
          opt.minimize(
            () =>
              tf.mean(
                tf.mul(softmaxCrossEntropy(tf, y, dense.apply(x) as tf.Tensor, { ...(options as object), reduction: "none" }), sw),
              ) as tf.Scalar,
          );
          opt.dispose();
          sw.dispose();
        }
        await model.fit(x, yt, { batchSize: n, epochs: 1, shuffle: false, verbose: 0, classWeight });
        expect(weightGap(dense, model)).toBeLessThan(1e-5);
        tf.dispose([x, yt]);
        dense.dispose();
        model.dispose();
      }
    });

    it("leaks no tensor, no TF.js byte and no softxent wasm byte over 200 fit steps (classWeight, validation, evaluate included)", async () => {
      const { model, head } = twins(8, 12, 300, { smoothing: 0.1 });
      model.compile({ optimizer: tf.train.adam(0.01), loss: head.loss, metrics: [head.accuracy] });
      const n = 16;
      const x = tf.tensor2d(normals(n * 8), [n, 8]);
      const yt = oneHot(labels(n, 300), 300);
      const step = async () => {
        await model.trainOnBatch(x, yt);
      };
      for (let i = 0; i < 3; i++) await step();
      const classWeight = Object.fromEntries(Array.from({ length: 300 }, (_, j) => [j, 1 + (j % 3)]));
      await model.fit(x, yt, { batchSize: 8, epochs: 1, verbose: 0, classWeight, validationData: [x, yt] });
      tf.dispose(model.evaluate(x, yt) as tf.Tensor[]);
      const tensors = tf.memory().numTensors;
      const tfBytes = tf.memory().numBytes;
      const sxBytes = backendInfo().allocatedBytes;
      for (let i = 0; i < 200; i++) await step();
      await model.fit(x, yt, { batchSize: 8, epochs: 1, verbose: 0, classWeight, validationData: [x, yt] });
      tf.dispose(model.evaluate(x, yt) as tf.Tensor[]);
      expect(tf.memory().numTensors).toBe(tensors);
      expect(tf.memory().numBytes).toBe(tfBytes);
      expect(backendInfo().allocatedBytes).toBe(sxBytes);
      tf.dispose([x, yt]);
      model.dispose();
    });

    it("head.accuracy in fit equals Keras's accuracy on the Dense twin (same weights), and in evaluate", async () => {
      const { dense, model, head } = twins(6, 9, 5);
      dense.compile({
        optimizer: tf.train.sgd(0.1),
        loss: (y: tf.Tensor, z: tf.Tensor) => tf.losses.softmaxCrossEntropy(y, z),
        metrics: ["accuracy"],
      });
      model.compile({ optimizer: tf.train.sgd(0.1), loss: head.loss, metrics: [head.accuracy] });
      const n = 40;
      const x = tf.tensor2d(normals(n * 6), [n, 6]);
      const yt = oneHot(labels(n, 5), 5);
      for (let s = 0; s < 3; s++) {
        const [, accA] = (await dense.trainOnBatch(x, yt)) as number[];
        const [, accB] = (await model.trainOnBatch(x, yt)) as number[];
        expect(accB).toBeCloseTo(accA!, 6);
        expect(accA).toBeGreaterThan(0); // a chance-level value, not a constant
      }
      const ea = (dense.evaluate(x, yt) as tf.Tensor[]).map((t) => t.dataSync()[0]!);
      const eb = (model.evaluate(x, yt) as tf.Tensor[]).map((t) => t.dataSync()[0]!);
      expect(eb[0]).toBeCloseTo(ea[0]!, 4);
      expect(eb[1]).toBeCloseTo(ea[1]!, 6);
      const h = await model.fit(x, yt, { epochs: 1, batchSize: 20, verbose: 0 });
      expect(Object.keys(h.history).sort()).toEqual(["acc", "loss"]);
      tf.dispose([x, yt]);
      dense.dispose();
      model.dispose();
    });

    it("a Keras metric on the head's output during fit is refused (not garbage), before any weight changes; the model trains after", async () => {
      const { model, head } = twins(4, 6, 7);
      model.compile({ optimizer: tf.train.sgd(0.1), loss: head.loss, metrics: ["accuracy"] });
      const x = tf.tensor2d(normals(10 * 4), [10, 4]);
      const yt = oneHot(labels(10, 7), 7);
      const before = flatWeights(model);
      await expect(model.trainOnBatch(x, yt)).rejects.toThrow(/placeholder.*head\.accuracy/s);
      expect(flatWeights(model)).toEqual(before);
      // evaluate works with Keras metrics (real logits there)
      const ev = model.evaluate(x, yt) as tf.Tensor[];
      expect(ev).toHaveLength(2);
      tf.dispose(ev);
      model.compile({ optimizer: tf.train.sgd(0.1), loss: head.loss });
      const l = (await model.trainOnBatch(x, yt)) as number;
      expect(Number.isFinite(l)).toBe(true);
      expect(flatWeights(model)).not.toEqual(before);
      tf.dispose([x, yt]);
      model.dispose();
    });
  });
}

describe("softmaxHead: weights, serialization, inference and errors (cpu backend)", () => {
  beforeAll(async () => {
    expect(await tf.setBackend("cpu")).toBe(true);
  });

  it("weights are a Dense layer's: kernel [D, V] and bias [V], interchangeable both ways, useBias false too", () => {
    for (const useBias of [true, false]) {
      const dense = tf.sequential({ layers: [tf.layers.dense({ units: 11, inputShape: [4], useBias })] });
      const head = softmaxHead(tf, { units: 11, inputShape: [4], useBias });
      const model = tf.sequential({ layers: [head] });
      expect(head.getWeights().map((w) => w.shape)).toEqual(dense.layers[0]!.getWeights().map((w) => w.shape));
      head.setWeights(dense.layers[0]!.getWeights());
      const x = tf.tensor2d(normals(12), [3, 4]);
      const za = dense.predict(x) as tf.Tensor,
        zb = model.predict(x) as tf.Tensor;
      expect(maxAbsDiff(za, zb)).toBe(0);
      const fresh = tf.layers.dense({ units: 11, useBias });
      tf.sequential({ layers: [tf.layers.inputLayer({ inputShape: [4] }), fresh] });
      fresh.setWeights(head.getWeights());
      expect(fresh.getWeights().map((w) => Array.from(w.dataSync()))).toEqual(head.getWeights().map((w) => Array.from(w.dataSync())));
      tf.dispose([x, za, zb]);
      dense.dispose();
      model.dispose();
    }
  });

  it("save and load round-trip through tf.serialization (memory IOHandler); the loaded head keeps its options and trains", async () => {
    const cw = Array.from({ length: 9 }, (_, j) => 1 + j / 10);
    const head = softmaxHead(tf, {
      units: 9,
      smoothing: 0.15,
      smoothingMode: "others",
      classWeights: cw,
      classWeightMode: "target",
      zLoss: 1e-4,
      output: "probabilities",
      focal: { gamma: 1.5, alpha: new Float32Array(9).fill(0.5) },
    });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 5, inputShape: [3] }), head] });
    let saved: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler(async (a) => {
        saved = a;
        return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
      }),
    );
    registerSoftmaxHead(tf); // what a fresh process calls before loading (idempotent here)
    const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved!));
    const last = loaded.layers[loaded.layers.length - 1]! as ReturnType<typeof softmaxHead>;
    expect(last.getClassName()).toBe("SoftmaxHead");
    const cfg = last.getConfig();
    expect(cfg).toMatchObject({
      units: 9,
      smoothing: 0.15,
      smoothingMode: "others",
      classWeightMode: "target",
      zLoss: 1e-4,
      output: "probabilities",
      reduction: "none",
      focal: { gamma: 1.5, alpha: Array(9).fill(0.5) },
    });
    expect((cfg.classWeights as number[]).map((w) => Math.fround(w))).toEqual(cw.map((w) => Math.fround(w)));
    const x = tf.tensor2d(normals(12), [4, 3]);
    const pa = model.predict(x) as tf.Tensor,
      pb = loaded.predict(x) as tf.Tensor;
    expect(maxAbsDiff(pa, pb)).toBe(0);
    const sums = tf.sum(pb, -1).dataSync();
    for (const s of sums) expect(s).toBeCloseTo(1, 5); // output: 'probabilities'
    const yt = oneHot(labels(4, 9), 9);
    model.compile({ optimizer: tf.train.sgd(0.2), loss: head.loss });
    loaded.compile({ optimizer: tf.train.sgd(0.2), loss: last.loss });
    const la = (await model.trainOnBatch(x, yt)) as number;
    const lb = (await loaded.trainOnBatch(x, yt)) as number;
    expect(lb).toBeCloseTo(la, 6);
    expect(weightGap(model, loaded)).toBe(0);
    tf.dispose([x, yt, pa, pb]);
    model.dispose();
    loaded.dispose();
  });

  it("output 'probabilities': predict is the softmax of the logits; evaluate's loss is the logits' (without z-loss)", () => {
    const options = { smoothing: 0.1, classWeights: [1, 2, 0.5, 1, 3, 1, 1] };
    const a = softmaxHead(tf, { units: 7, inputShape: [4], ...options });
    const b = softmaxHead(tf, { units: 7, inputShape: [4], ...options, output: "probabilities" });
    const ma = tf.sequential({ layers: [a] }),
      mb = tf.sequential({ layers: [b] });
    mb.setWeights(ma.getWeights());
    ma.compile({ optimizer: "sgd", loss: a.loss });
    mb.compile({ optimizer: "sgd", loss: b.loss });
    const x = tf.tensor2d(normals(20), [5, 4]);
    const yt = oneHot(Int32Array.from([0, 6, 2, -1, 4]), 7);
    const z = ma.predict(x) as tf.Tensor,
      p = mb.predict(x) as tf.Tensor,
      sz = tf.softmax(z);
    expect(maxAbsDiff(p, sz)).toBeLessThan(1e-6);
    const ea = ma.evaluate(x, yt) as tf.Scalar,
      eb = mb.evaluate(x, yt) as tf.Scalar;
    expect(eb.dataSync()[0]).toBeCloseTo(ea.dataSync()[0]!, 5);
    tf.dispose([x, yt, z, p, sz, ea, eb]);
    ma.dispose();
    mb.dispose();
  });

  it("model.summary names the layer and counts Dense's parameters", () => {
    const model = tf.sequential({
      layers: [tf.layers.dense({ units: 6, inputShape: [3] }), softmaxHead(tf, { units: 1000, name: "vocab" })],
    });
    const lines: string[] = [];
    model.summary(undefined, undefined, (l: string) => lines.push(l));
    const row = lines.find((l) => l.startsWith("vocab"));
    expect(row).toMatch(/SoftmaxHead/);
    expect(row).toMatch(/\[null,1000\]/);
    expect(row).toMatch(/7000/);
    model.dispose();
  });

  it("bad options are RangeErrors (TypeError for a wrong type) naming the option and the fix", () => {
    expect(() => softmaxHead(tf, { units: 10, labelSmoothing: 0.1 } as never)).toThrow(RangeError);
    expect(() => softmaxHead(tf, { units: 10, labelSmoothing: 0.1 } as never)).toThrow(/unknown option 'labelSmoothing'.*`smoothing`/);
    expect(() => softmaxHead(tf, { units: 10, smothing: 0.1 } as never)).toThrow(/unknown option 'smothing'/);
    expect(() => softmaxHead(tf, { units: 10, activation: "softmax" } as never)).toThrow(/output: 'probabilities'/);
    expect(() => softmaxHead(tf, { units: 0 })).toThrow(/options\.units must be a positive integer/);
    expect(() => softmaxHead(tf, {} as never)).toThrow(/options\.units/);
    expect(() => softmaxHead(tf, { units: 10, smoothing: 2 })).toThrow(/smoothing/);
    expect(() => softmaxHead(tf, { units: 10, output: "probs" } as never)).toThrow(/'logits' or 'probabilities'/);
    expect(() => softmaxHead(tf, { units: 10, classWeights: [1, -1] })).toThrow(/classWeights\[1\]/);
    expect(() => softmaxHead(tf, null as never)).toThrow(TypeError);
    expect(() => softmaxHead({} as never, { units: 3 })).toThrow(TypeError);
  });

  it("targets: soft rows and index labels are refused with the reason; the model trains after", async () => {
    const head = softmaxHead(tf, { units: 4 });
    const model = tf.sequential({ layers: [tf.layers.dense({ units: 3, inputShape: [2] }), head] });
    model.compile({ optimizer: tf.train.sgd(0.1), loss: head.loss });
    const x = tf.tensor2d([1, 2, 3, 4], [2, 2]);
    const soft = tf.tensor2d([0.5, 0.5, 0, 0, 0, 0, 1, 0], [2, 4]);
    await expect(model.trainOnBatch(x, soft)).rejects.toThrow(/one-hot rows.*row 0 has 0\.5 at class 0.*crossEntropyLoss/);
    // fit itself refuses index labels for a custom loss (the shape check), before the loss runs
    await expect(model.fit(x, tf.tensor1d([1, 3]), { verbose: 0 })).rejects.toThrow(
      /target expected a batch of elements where each example has shape \[4\]/,
    );
    const good = tf.tensor2d([0, 1, 0, 0, 0, 0, 0, 1], [2, 4]);
    expect(Number.isFinite((await model.trainOnBatch(x, good)) as number)).toBe(true);
    tf.dispose([x, soft, good]);
    model.dispose();
  });
});
