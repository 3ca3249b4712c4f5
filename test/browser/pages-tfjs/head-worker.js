// A classic Web Worker: TF.js from its UMD bundles (importScripts), softxent as ESM through dynamic
// import() from /esm/ (the test server resolves the loader's bare import there: workers have no import
// maps). It trains a Dense model and its softmaxHead twin with model.fit on the backend it is asked for
// and reports what test/browser/tfjs-head.test.ts checks.
importScripts("/node_modules/@tensorflow/tfjs/dist/tf.min.js", "/node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js");

function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function run(backend) {
  const tf = self.tf;
  tf.wasm.setWasmPaths("/node_modules/@tensorflow/tfjs-backend-wasm/dist/");
  const softxent = await import("/esm/index.js");
  const { softmaxHead, registerSoftmaxHead } = await import("/esm/tfjs.js");
  await softxent.init();
  if (!(await tf.setBackend(backend))) return { backend, available: false };
  await tf.ready();
  const r = rng(20);
  const [n, d, h, v] = [16, 12, 10, 3001];
  const body = () => tf.layers.dense({ units: h, activation: "relu", inputShape: [d] });
  const dense = tf.sequential({ layers: [body(), tf.layers.dense({ units: v })] });
  const head = softmaxHead(tf, { units: v, smoothing: 0.1 });
  const model = tf.sequential({ layers: [body(), head] });
  model.setWeights(dense.getWeights());
  dense.compile({ optimizer: tf.train.sgd(0.5), loss: (y, z) => tf.losses.softmaxCrossEntropy(y, z, undefined, 0.1) });
  model.compile({ optimizer: tf.train.sgd(0.5), loss: head.loss, metrics: [head.accuracy] });
  const batches = [];
  for (let b = 0; b < 4; b++) {
    const x = tf.tensor2d(
      Float32Array.from({ length: n * d }, () => 2 * r() - 1),
      [n, d],
    );
    const y = tf
      .oneHot(
        tf.tensor1d(
          Int32Array.from({ length: n }, () => Math.floor(r() * v)),
          "int32",
        ),
        v,
      )
      .toFloat();
    batches.push({ x, y });
  }
  const losses = [];
  for (const b of batches) {
    const la = await dense.trainOnBatch(b.x, b.y);
    const [lb] = await model.trainOnBatch(b.x, b.y);
    losses.push([la, lb]);
  }
  const wa = dense.getWeights().map((t) => t.dataSync()),
    wb = model.getWeights().map((t) => t.dataSync());
  let big = 0,
    gap = 0;
  wa.forEach((w, i) => {
    for (let j = 0; j < w.length; j++) {
      big = Math.max(big, Math.abs(w[j]));
      gap = Math.max(gap, Math.abs(w[j] - wb[i][j]));
    }
  });
  const za = dense.predict(batches[0].x).dataSync(),
    zb = model.predict(batches[0].x).dataSync();
  let predictGap = 0;
  for (let i = 0; i < za.length; i++) predictGap = Math.max(predictGap, Math.abs(za[i] - zb[i]));
  // leaks over 50 more steps (fit with a validation batch included)
  await model.fit(batches[1].x, batches[1].y, { batchSize: 8, epochs: 1, verbose: 0, validationData: [batches[2].x, batches[2].y] });
  const tensors = tf.memory().numTensors,
    bytes = softxent.backendInfo().allocatedBytes;
  for (let i = 0; i < 50; i++) await model.trainOnBatch(batches[i % 4].x, batches[i % 4].y);
  await model.fit(batches[1].x, batches[1].y, { batchSize: 8, epochs: 1, verbose: 0, validationData: [batches[2].x, batches[2].y] });
  const leakedTensors = tf.memory().numTensors - tensors,
    leakedBytes = softxent.backendInfo().allocatedBytes - bytes;
  // save / load in memory
  let saved;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      saved = a;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  registerSoftmaxHead(tf);
  const loaded = await tf.loadLayersModel(tf.io.fromMemory(saved));
  const zl = loaded.predict(batches[0].x).dataSync(),
    zm = model.predict(batches[0].x).dataSync();
  let loadGap = 0;
  for (let i = 0; i < zl.length; i++) loadGap = Math.max(loadGap, Math.abs(zl[i] - zm[i]));
  return {
    backend: tf.getBackend(),
    available: true,
    build: softxent.backendInfo().build,
    inWorker: typeof window === "undefined",
    losses,
    weightGap: gap / big,
    predictGap,
    leakedTensors,
    leakedBytes,
    loadedClass: loaded.layers[loaded.layers.length - 1].getClassName(),
    loadGap,
  };
}

self.onmessage = async (e) => {
  try {
    postMessage({ ok: true, ...(await run(e.data.backend)) });
  } catch (err) {
    postMessage({ ok: false, error: `${err?.name}: ${err?.message}` });
  }
};
