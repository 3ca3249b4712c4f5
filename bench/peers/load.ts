// One peer by name, loaded in the process that will time it (peer-run.ts). plain JS and TF.js come
// from this package (TF.js is a devDependency); onnxruntime and jax-js from bench/peers.

import { plainCrossEntropy } from "./plain.js";
import { INSTALLED_APART, type Peer, type PeerName } from "./peer.js";
import { tfPeer } from "./tfjs.js";

export async function loadPeer(name: PeerName): Promise<Peer> {
  if (INSTALLED_APART.has(name)) {
    if (name === "jax-js") return (await import("./jax.js")).jaxPeer();
    return (await import("./onnxruntime.js")).onnxruntimePeer(name === "onnxruntime-node" ? "node" : "web");
  }
  if (name === "plain-js") {
    return {
      id: name,
      label: "plain JS (f32, Math.exp, 3 passes)",
      versions: {},
      describe: "plain JS: three passes per row over Float32Arrays with Math.exp, gradient into a preallocated array",
      notes: [],
      async prepare(logits, labels, classes, smoothing) {
        const grad = new Float32Array(logits.length);
        return { run: () => ({ loss: plainCrossEntropy(logits, labels, classes, smoothing, grad), grad }), dispose() {} };
      },
    };
  }
  const backend = name === "tfjs-wasm" ? "wasm" : "cpu";
  const tf = await tfPeer(backend);
  return {
    id: name,
    label: `TF.js ${tf.versions["@tensorflow/tfjs"]} ${backend}${backend === "wasm" ? (tf.simd ? " (SIMD, 1 thread)" : " (no SIMD, 1 thread)") : ""}`,
    versions: tf.versions,
    describe: `TF.js ${backend}: tensor2d upload, valueAndGrad of tf.losses.softmaxCrossEntropy(oneHot, z, undefined, ε), dataSync of loss and gradient, dispose (one-hot targets made once)`,
    notes: [],
    async prepare(logits, labels, classes, smoothing) {
      const task = tf.prepare(logits, labels, classes, smoothing);
      task.run();
      const live = task.liveTensors();
      return {
        run: () => task.run(),
        dispose: () => task.dispose(),
        leak: () => (task.liveTensors() !== live ? `${task.liveTensors() - live} tensors left live` : null),
      };
    },
  };
}
