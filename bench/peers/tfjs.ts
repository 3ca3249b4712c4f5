// TF.js 4.22 as a peer: tf.losses.softmaxCrossEntropy with label smoothing, differentiated by
// tf.valueAndGrad, on the 'cpu' and 'wasm' backends, one thread. Loaded lazily, so that the bench
// still runs (and says so) where TF.js is not installed.
//
// One timed call = what a user pays per step: upload the logits (tensor2d), loss + gradient, read both
// back (dataSync), dispose. The one-hot targets are built once, outside the timing (TF.js needs them
// dense; building them per call would only make it slower). Never return typed arrays from tf.tidy:
// tidy walks its result looking for tensors, which costs a visit per element.

import { createRequire } from "node:module";
import { dirname } from "node:path";

type Tf = typeof import("@tensorflow/tfjs");

export type TfBackend = "cpu" | "wasm";

export interface TfPeer {
  /** The loaded backend ('wasm' also reports whether its SIMD binary runs). */
  backend: TfBackend;
  simd: boolean;
  versions: Record<string, string>;
  /** Prepares one shape; returns the timed call (loss, gradient) and a disposer. */
  prepare(logits: Float32Array, labels: Int32Array, classes: number, smoothing: number): TfTask;
}

export interface TfTask {
  run(): { loss: number; grad: Float32Array };
  dispose(): void;
  /** Live tensors now (to check that the timed call leaks none). */
  liveTensors(): number;
}

let tfModule: Promise<{ tf: Tf; setWasmPaths: (prefix: string) => void; wasmDir: string; versions: Record<string, string> }> | null = null;

/** TF.js prints a banner recommending tfjs-node; this bench compares the pure-JS/wasm backends on purpose. */
async function quietly<T>(f: () => Promise<T>): Promise<T> {
  const warn = console.warn,
    log = console.log;
  const keep =
    (orig: (...a: unknown[]) => void) =>
    (...a: unknown[]) => {
      const text = a.map(String).join(" ");
      if (/tfjs-node|TensorFlow\.js in Node|^=+$/.test(text.trim()) || text.trim() === "") return;
      orig(...a);
    };
  console.warn = keep(warn);
  console.log = keep(log);
  try {
    return await f();
  } finally {
    console.warn = warn;
    console.log = log;
  }
}

function load() {
  tfModule ??= (async () => {
    const tf = (await import("@tensorflow/tfjs")) as Tf;
    const wasm = await import("@tensorflow/tfjs-backend-wasm");
    const require = createRequire(import.meta.url);
    const wasmDir = dirname(require.resolve("@tensorflow/tfjs-backend-wasm")) + "/";
    const versions = {
      "@tensorflow/tfjs": tf.version.tfjs,
      "@tensorflow/tfjs-core": tf.version_core,
      "@tensorflow/tfjs-backend-cpu": tf.version_cpu,
      "@tensorflow/tfjs-backend-wasm": wasm.version_wasm,
    };
    return { tf, setWasmPaths: wasm.setWasmPaths, wasmDir, versions };
  })();
  return tfModule;
}

/** Switches TF.js to `backend` (single-threaded); throws when it cannot be loaded. */
export async function tfPeer(backend: TfBackend): Promise<TfPeer> {
  const { tf, setWasmPaths, wasmDir, versions } = await quietly(load);
  let simd = false;
  await quietly(async () => {
    if (backend === "wasm") {
      // Node: a file path prefix (its URL form works too); one thread, as every other implementation here.
      setWasmPaths(wasmDir);
      tf.env().set("WASM_HAS_MULTITHREAD_SUPPORT", false);
    }
    if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend '${backend}' failed to initialise`);
    await tf.ready();
    if (backend === "wasm") simd = Boolean(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT"));
    tf.tensor1d([0]).dispose(); // the cpu backend prints its banner on the first write: let it happen here
  });
  return {
    backend,
    simd,
    versions,
    prepare(logits, labels, classes, smoothing) {
      const n = labels.length;
      const onehot = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, "int32"), classes).cast("float32"));
      const lossAndGrad = tf.valueAndGrad(
        (x: import("@tensorflow/tfjs").Tensor) =>
          tf.losses.softmaxCrossEntropy(onehot, x, undefined, smoothing) as import("@tensorflow/tfjs").Scalar,
      );
      return {
        run() {
          const x = tf.tensor2d(logits, [n, classes]);
          const { value, grad } = lossAndGrad(x);
          const loss = value.dataSync()[0]!;
          const g = grad.dataSync() as Float32Array;
          tf.dispose([x, value, grad]);
          return { loss, grad: g };
        },
        dispose() {
          onehot.dispose();
        },
        liveTensors() {
          return tf.memory().numTensors;
        },
      };
    },
  };
}
