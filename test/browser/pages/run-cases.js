// Runs parity cases inside a browser page or worker and returns the raw results; the comparison
// against the double-precision reference happens in Node. Arrays travel as base64 of their bytes,
// so NaN, ±Infinity and -0 arrive exactly.

export function fromBase64(s) {
  const bin = atob(s);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return bytes.buffer;
}

export function toBase64(view) {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let bin = "";
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  return btoa(bin);
}

function runOne(s, c) {
  const z = new Float32Array(fromBase64(c.logits));
  const options = { ...c.options };
  if (c.weights) options.classWeights = new Float32Array(fromBase64(c.weights));
  switch (c.fn) {
    case "crossEntropy": {
      const target = c.labels !== undefined ? new Int32Array(fromBase64(c.labels)) : new Float32Array(fromBase64(c.targets));
      if (!c.resident) {
        const r = s.crossEntropy(z, target, options);
        return { loss: lossOut(r.loss), grad: r.grad ? toBase64(r.grad) : null };
      }
      // The same call on wasm-resident buffers, gradient written in place over the logits.
      const zb = s.allocFloat32(z.length);
      const tb = c.labels !== undefined ? s.allocInt32(target.length) : s.allocFloat32(target.length);
      try {
        zb.view.set(z);
        tb.view.set(target);
        const r = s.crossEntropy(zb, tb, { ...options, gradOut: zb });
        if (r.grad !== zb.view) throw new Error("resident gradOut: the returned gradient is not the buffer's view");
        return { loss: lossOut(r.loss), grad: toBase64(zb.view) };
      } finally {
        zb.release();
        tb.release();
      }
    }
    case "logSoftmax":
      return { values: toBase64(s.logSoftmax(z, options)) };
    case "softmax":
      return { values: toBase64(s.softmax(z, options)) };
    case "smoothTargets":
      return { values: toBase64(s.smoothTargets(new Int32Array(fromBase64(c.labels)), options)) };
    default:
      throw new Error(`unknown case ${c.fn}`);
  }
}

function lossOut(loss) {
  return typeof loss === "number" ? toBase64(new Float64Array([loss])) : toBase64(loss);
}

/**
 * init(options) — `build` is init's options, or a boolean for { simd } — then every case; an exception
 * is returned as the case's result, not thrown.
 */
export async function runCases(s, build, cases) {
  await s.init(typeof build === "object" ? build : { simd: build });
  const info = s.backendInfo();
  const results = cases.map((c) => {
    try {
      return runOne(s, c);
    } catch (e) {
      return { error: `${e?.name}: ${e?.message}` };
    }
  });
  return { info, results };
}
