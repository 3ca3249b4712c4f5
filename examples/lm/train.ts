// `npm run demo:lm`: trains a next-word model on the Brown corpus with a vocabulary of 20002 words,
// its output layer and loss being softxent's fused head (linearCrossEntropy): the 512×20002 logits of
// a batch are never held. Then times the same head as TF.js trains it (Dense + tf.losses.
// softmaxCrossEntropy, wasm backend, one thread) and reports step time and peak memory of both.
//
// The model is examples/lm/model.ts (shared with the browser page, `npm run demo:lm:browser`). Last, the
// same task as a TF.js Layers model trained with model.fit, ending in softmaxHead (examples/lm/keras.ts).
//
//   npm run demo:lm -- --steps 100 --batch 512 --dim 128

import { createRequire } from "node:module";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { backendInfo, init } from "softxent";
import { loadBrown } from "./corpus.js";
import { trainKeras } from "./keras.js";
import { NextWordModel } from "./model.js";

const { values: args } = parseArgs({
  options: {
    steps: { type: "string", default: "80" },
    batch: { type: "string", default: "512" },
    dim: { type: "string", default: "128" },
    vocab: { type: "string", default: "20002" },
    lr: { type: "string", default: "4" },
    "embedding-lr": { type: "string", default: "50" },
    "tf-steps": { type: "string", default: "3" },
  },
});
const STEPS = Number(args.steps),
  N = Number(args.batch),
  D = Number(args.dim),
  V = Number(args.vocab),
  LR = Number(args.lr);
const TF_STEPS = Number(args["tf-steps"]),
  ELR = Number(args["embedding-lr"]);
const MB = (b: number) => `${(b / 2 ** 20).toFixed(1)} MiB`;

await init();
const corpus = loadBrown(V);
const ids = corpus.ids;
const split = Math.floor(ids.length * 0.95);
console.log(
  `Brown corpus: ${ids.length} tokens, ${corpus.distinct} distinct words, vocabulary ${V} (rest → <unk>); softxent ${backendInfo().build}`,
);

const model = new NextWordModel(ids, { vocab: V, dim: D, batch: N, lr: LR, embeddingLr: ELR });
const { W, b, hidden, labels } = model;
/** Mean loss over fixed held-out positions (grad: false: no gradient is computed). */
const evalPositions = Int32Array.from({ length: N }, (_, i) => split + 2 + Math.floor(((i + 0.5) / N) * (ids.length - split - 3)));
function heldOut(): number {
  model.batch(0, 0, evalPositions);
  return model.loss();
}

const before = heldOut();
console.log(
  `held-out loss before training ${before.toFixed(3)} (perplexity ${Math.exp(before).toFixed(0)}; uniform would be ${Math.log(V).toFixed(3)})`,
);
const headMs: number[] = [],
  stepMs: number[] = [];
for (let s = 1; s <= STEPS; s++) {
  const t0 = performance.now();
  const r = model.step(0, split);
  headMs.push(r.headMs);
  stepMs.push(performance.now() - t0);
  if (s === 1 || s % 20 === 0 || s === STEPS) console.log(`step ${s}: batch loss ${r.loss.toFixed(3)}`);
}
const after = heldOut();
const mean = (x: number[]) => x.reduce((a, c) => a + c, 0) / x.length;
const ourHead = mean(headMs.slice(1)),
  ourStep = mean(stepMs.slice(1));
const ourMemory = backendInfo().memoryBytes;
console.log(`held-out loss after ${STEPS} steps ${after.toFixed(3)} (perplexity ${Math.exp(after).toFixed(0)})`);
for (const [w2, w1] of [
  ["</s>", "the"],
  ["of", "the"],
  ["he", "said"],
] as const) {
  const top = model.predict(corpus.vocab.indexOf(w2), corpus.vocab.indexOf(w1), 5);
  console.log(`  "${w2} ${w1} …" → ${top.map((j) => corpus.vocab[j]).join(", ")}`);
}

// ---- the same head, trained by TF.js: Dense + tf.losses.softmaxCrossEntropy (wasm backend)
if (TF_STEPS < 1) process.exit(0);
const tf = await import("@tensorflow/tfjs");
const wasm = await import("@tensorflow/tfjs-backend-wasm");
wasm.setWasmPaths(dirname(createRequire(import.meta.url).resolve("@tensorflow/tfjs-backend-wasm")) + "/");
tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
const log = console.log,
  warn = console.warn;
console.log = console.warn = () => {}; // TF.js's "use tfjs-node" banner
await tf.setBackend("wasm");
await tf.ready();
console.log = log;
console.warn = warn;
model.batch(0, split);
const h = tf.tensor2d(hidden, [N, D]);
const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), V).cast("float32"));
const dense = tf.layers.dense({ units: V, inputShape: [D] });
dense.apply(tf.zeros([1, D]));
dense.setWeights([tf.tensor2d(W.slice(), [V, D]).transpose(), tf.tensor1d(b)]);
const opt = tf.train.sgd(LR);
const tfStep = () => {
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(onehot, dense.apply(h) as import("@tensorflow/tfjs").Tensor) as import("@tensorflow/tfjs").Scalar,
  );
  opt.applyGradients(grads);
  value.dataSync();
  tf.dispose([value, ...Object.values(grads)]);
};
const profile = await tf.profile(tfStep); // first step, also the warm-up
const tfMs: number[] = [];
for (let s = 0; s < TF_STEPS; s++) {
  const t0 = performance.now();
  tfStep();
  tfMs.push(performance.now() - t0);
}
const tfHead = mean(tfMs);
tf.dispose([h, onehot]);

const logits = 2 * 4 * N * V;
console.log(`\nhead ${N}×${D}→${V}, one thread, mean per step (machine may be shared):`);
console.log(
  `  softxent linearCrossEntropy: ${ourHead.toFixed(0)} ms (whole step with the embedding update ${ourStep.toFixed(0)} ms); wasm memory ${MB(ourMemory)} in all`,
);
console.log(
  `  TF.js Dense + softmaxCrossEntropy (wasm): ${tfHead.toFixed(0)} ms over ${TF_STEPS} steps; peak tensor memory of a step ${MB(profile.peakBytes)} (tf.profile)`,
);
console.log(`  → ${(tfHead / ourHead).toFixed(1)}× faster; the logits and their gradient that softxent never holds: ${MB(logits)}`);

// ---- the same task in TF.js Layers: model.fit with softmaxHead as the output layer (wasm backend)
const k = await trainKeras(tf, ids, model.E, {
  vocab: V,
  dim: D,
  batch: 128,
  steps: 20,
  lo: 0,
  hi: split,
  evalAt: evalPositions.subarray(0, 128),
});
console.log(
  `\nTF.js Layers, the trained embeddings → Dense(${D}, tanh) → softmaxHead(${V}), model.fit, ${k.steps} steps of 128 (wasm backend):` +
    ` held-out loss ${k.lossBefore.toFixed(3)} → ${k.lossAfter.toFixed(3)}, ${k.stepMs.toFixed(0)} ms per step`,
);
