// @jax-js/jax 0.1.25 as a peer: jit(valueAndGrad(z ↦ −Σ q·logSoftmax(z) / N)) on its wasm device
// (one thread in Node: no workers there). `init('wasm')` is explicit — a bare init() fails on
// `navigator` in Node 20. The first call traces and compiles: the probe and warmup of measure.ts
// take it out of the timing. The smoothed targets q are a dense array made once (as TF.js's one-hot).
//
// One timed call: np.array over the logits, the jitted loss + gradient, await data() of both.
// jax-js counts references: every argument is consumed, so q is passed as q.ref and kept alive;
// data() consumes the results.

import { peerVersion, peersRequire, type Peer } from "./peer.js";

/** The slice of @jax-js/jax's API used here. */
interface JaxArray {
  ref: JaxArray;
  reshape(shape: number[]): JaxArray;
  mul(x: JaxArray | number): JaxArray;
  sum(): JaxArray;
  data(): Promise<Float32Array>;
  dispose(): void;
}
interface Jax {
  init(...devices: string[]): Promise<string[]>;
  defaultDevice(device?: string): string;
  numpy: { array(data: Float32Array): JaxArray };
  nn: { logSoftmax(x: JaxArray): JaxArray };
  jit<F>(f: F): F & { dispose?(): void };
  valueAndGrad<F>(f: F): (...args: JaxArray[]) => [JaxArray, JaxArray];
}

export async function jaxPeer(): Promise<Peer> {
  const jax = peersRequire()("@jax-js/jax") as Jax;
  const devices = await jax.init("wasm");
  if (!devices.includes("wasm")) throw new Error(`jax-js: no wasm device (init gave ${devices.join(", ") || "none"})`);
  jax.defaultDevice("wasm");
  const version = peerVersion("@jax-js/jax");
  const np = jax.numpy;
  return {
    id: "jax-js",
    label: `@jax-js/jax ${version} (wasm, jit)`,
    versions: { "@jax-js/jax": version },
    describe:
      "@jax-js/jax: jit(valueAndGrad(z ↦ −Σ q·logSoftmax(z)/N)), wasm device; per call np.array of the logits, the jitted call, await data() of loss and gradient (dense smoothed targets made once)",
    notes: [],
    async prepare(logits, labels, classes, smoothing) {
      const n = labels.length;
      const off = smoothing / classes,
        on = 1 - smoothing + off;
      const dense = new Float32Array(n * classes).fill(off);
      for (let i = 0; i < n; i++) dense[i * classes + labels[i]!] = on;
      const q = np.array(dense).reshape([n, classes]);
      const loss = (z: JaxArray, t: JaxArray) =>
        jax.nn
          .logSoftmax(z)
          .mul(t)
          .sum()
          .mul(-1 / n);
      const step = jax.jit(jax.valueAndGrad(loss));
      return {
        async run() {
          const z = np.array(logits).reshape([n, classes]);
          const [value, grad] = step(z, q.ref);
          const lossData = await value.data();
          return { loss: lossData[0]!, grad: await grad.data() };
        },
        dispose() {
          q.dispose();
          step.dispose?.();
        },
      };
    },
  };
}
