// The ONNX graph (opset 13) both onnxruntime peers run: label-smoothed softmax cross-entropy, mean
// over N rows, and its gradient in closed form — ONNX Runtime has no autodiff a JavaScript user can
// call, so a user would write the gradient into the graph as here:
//
//   q    = OneHot(y, K, [ε/K, 1 − ε + ε/K])     smoothed targets, built in the graph from int32 labels
//   ls   = LogSoftmax(z)                         (axis −1)
//   loss = ReduceSum(q · ls) · (−1/N)            scalar
//   grad = (Exp(ls) − q) · (1/N)                 = softmax(z)/N − q/N
//
// One model per shape (N and K are fixed in the graph's types and constants). The model is encoded
// with onnx-proto (protobufjs classes of onnx.proto), loaded from bench/peers at run time, so this
// file compiles without the peers installed.

/** The parts of onnx-proto's `onnx` namespace used here (structural, to avoid a type dependency). */
interface OnnxProto {
  ModelProto: { encode(m: object): { finish(): Uint8Array } };
  TensorProto: { DataType: { FLOAT: number; INT32: number } };
}

export const ONNX_INPUTS = { logits: "z", labels: "y" } as const;
export const ONNX_OUTPUTS = { loss: "loss", grad: "grad" } as const;

/** The encoded model for N×K, ε. */
export function crossEntropyModel(onnx: OnnxProto, n: number, k: number, smoothing: number): Uint8Array {
  const T = onnx.TensorProto.DataType;
  const off = smoothing / k,
    on = 1 - smoothing + off;
  const floats = (name: string, dims: number[], values: number[]) => ({ name, dataType: T.FLOAT, dims, floatData: values });
  const node = (opType: string, input: string[], output: string[], attribute: object[] = []) => ({
    opType,
    input,
    output,
    name: output[0],
    attribute,
  });
  const info = (name: string, elemType: number, dims: number[]) => ({
    name,
    type: { tensorType: { elemType, shape: { dim: dims.map((d) => ({ dimValue: d })) } } },
  });
  const graph = {
    name: "softxent_peer_cross_entropy",
    node: [
      node("OneHot", [ONNX_INPUTS.labels, "depth", "onoff"], ["q"], [{ name: "axis", type: 2 /* INT */, i: -1 }]),
      node("LogSoftmax", [ONNX_INPUTS.logits], ["ls"], [{ name: "axis", type: 2, i: -1 }]),
      node("Mul", ["q", "ls"], ["qls"]),
      node("ReduceSum", ["qls"], ["total"], [{ name: "keepdims", type: 2, i: 0 }]),
      node("Mul", ["total", "minus_inv_n"], [ONNX_OUTPUTS.loss]),
      node("Exp", ["ls"], ["p"]),
      node("Sub", ["p", "q"], ["pq"]),
      node("Mul", ["pq", "inv_n"], [ONNX_OUTPUTS.grad]),
    ],
    initializer: [
      // A float depth: ONNX Runtime's CPU OneHot has int32 indices only with float depth and values.
      floats("depth", [], [k]),
      floats("onoff", [2], [off, on]),
      floats("minus_inv_n", [], [-1 / n]),
      floats("inv_n", [], [1 / n]),
    ],
    input: [info(ONNX_INPUTS.logits, T.FLOAT, [n, k]), info(ONNX_INPUTS.labels, T.INT32, [n])],
    output: [info(ONNX_OUTPUTS.loss, T.FLOAT, []), info(ONNX_OUTPUTS.grad, T.FLOAT, [n, k])],
  };
  return onnx.ModelProto.encode({
    irVersion: 7,
    producerName: "softxent-bench",
    opsetImport: [{ domain: "", version: 13 }],
    graph,
  }).finish();
}
