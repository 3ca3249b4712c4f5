// onnxruntime-node 1.30 (native MLAS kernels) and onnxruntime-web 1.30 (its wasm build) as peers:
// the graph of onnx-graph.ts, one session per shape, one thread (intraOpNumThreads: 1 / numThreads 1).
//
// One timed call = what a user pays per step with plain arrays: wrap the logits in a Tensor (the
// labels tensor is made once), `await session.run(...)`, read loss and gradient. onnxruntime-node
// writes the gradient into a preallocated output tensor (as softxent's gradOut does);
// onnxruntime-web ignores preallocated CPU outputs and returns a new one each call.
// onnxruntime-web defines a global `Worker` in Node when a session is created, which breaks other
// wasm libraries in the same process: every peer runs in its own process (peer-run.ts).

import { crossEntropyModel, ONNX_INPUTS, ONNX_OUTPUTS } from "./onnx-graph.js";
import { peerVersion, peersRequire, type Peer } from "./peer.js";

/** The slice of onnxruntime-common's API used here. */
interface OrtTensor {
  data: ArrayLike<number>;
}
interface OrtSession {
  run(feeds: Record<string, OrtTensor>, fetches?: Record<string, OrtTensor | null> | string[]): Promise<Record<string, OrtTensor>>;
  release(): Promise<void>;
}
interface Ort {
  Tensor: new (type: "float32" | "int32", data: Float32Array | Int32Array, dims: number[]) => OrtTensor;
  InferenceSession: { create(model: Uint8Array, options: object): Promise<OrtSession> };
  env: { wasm: { numThreads?: number; proxy?: boolean } };
}

export async function onnxruntimePeer(kind: "node" | "web"): Promise<Peer> {
  const req = peersRequire();
  const pkg = kind === "node" ? "onnxruntime-node" : "onnxruntime-web";
  const ort = req(pkg) as Ort;
  const { onnx } = req("onnx-proto") as { onnx: Parameters<typeof crossEntropyModel>[0] };
  if (kind === "web") {
    ort.env.wasm.numThreads = 1;
    ort.env.wasm.proxy = false;
  }
  const version = peerVersion(pkg);
  return {
    id: pkg,
    label: kind === "node" ? `onnxruntime-node ${version} (native, 1 thread)` : `onnxruntime-web ${version} (wasm, 1 thread)`,
    versions: { [pkg]: version, "onnx-proto": peerVersion("onnx-proto") },
    describe:
      `${pkg}: ONNX graph (opset 13) LogSoftmax, OneHot, Mul, ReduceSum, Exp, Sub computing loss and softmax(z)/N − q/N; ` +
      `per call a Tensor over the logits, await session.run, read loss and gradient` +
      (kind === "node" ? " (gradient into a preallocated output tensor)" : " (new output each call: preallocated CPU outputs are ignored)"),
    notes: [],
    async prepare(logits, labels, classes, smoothing) {
      const n = labels.length;
      const model = crossEntropyModel(onnx, n, classes, smoothing);
      const session = await ort.InferenceSession.create(model, {
        executionProviders: [kind === "node" ? "cpu" : "wasm"],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        executionMode: "sequential",
        graphOptimizationLevel: "all",
      });
      const y = new ort.Tensor("int32", labels, [n]);
      const gradTensor = new ort.Tensor("float32", new Float32Array(n * classes), [n, classes]);
      const fetches =
        kind === "node" ? { [ONNX_OUTPUTS.loss]: null, [ONNX_OUTPUTS.grad]: gradTensor } : [ONNX_OUTPUTS.loss, ONNX_OUTPUTS.grad];
      return {
        async run() {
          const z = new ort.Tensor("float32", logits, [n, classes]);
          const out = await session.run({ [ONNX_INPUTS.logits]: z, [ONNX_INPUTS.labels]: y }, fetches);
          return { loss: out[ONNX_OUTPUTS.loss]!.data[0]!, grad: out[ONNX_OUTPUTS.grad]!.data };
        },
        async dispose() {
          await session.release();
        },
      };
    },
  };
}
