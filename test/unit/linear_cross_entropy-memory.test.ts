/**
 * linearCrossEntropy's scratch is one chunk, independent of N (docs/spec.md "linearCrossEntropy",
 * Memory): with every input and output resident, a call allocates only the chunk (chunkBytes of
 * logits, its row blocks' 16-byte sums, a row, the product's 512 KiB packing area, the call's 256-byte
 * parameter block), and a call with more rows allocates nothing more.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { initSync, backendInfo, linearCrossEntropy, allocFloat32, allocInt32 } from "../../dist/index.js";

const D = 16,
  V = 2000;
const PACK = 256 * 512 * 4;

function resident(n: number) {
  const hidden = allocFloat32(n * D),
    weight = allocFloat32(V * D),
    labels = allocInt32(n),
    bias = allocFloat32(V);
  const gradHidden = allocFloat32(n * D),
    gradWeight = allocFloat32(V * D),
    gradBias = allocFloat32(V);
  for (let e = 0; e < n * D; e++) hidden.view[e] = Math.sin(e);
  for (let e = 0; e < V * D; e++) weight.view[e] = 0.3 * Math.cos(e);
  for (let i = 0; i < n; i++) labels.view[i] = (i * 7919) % V;
  const all = [hidden, weight, labels, bias, gradHidden, gradWeight, gradBias];
  return { hidden, weight, labels, bias, gradHidden, gradWeight, gradBias, release: () => all.forEach((b) => b.release()) };
}

describe("linearCrossEntropy memory", () => {
  beforeAll(() => initSync());

  it("allocates one chunk, whatever N", () => {
    const chunkBytes = 4 * V * 12;
    const a = resident(300);
    const before = backendInfo().allocatedBytes;
    const r = linearCrossEntropy(a.hidden, a.weight, a.labels, {
      classes: V,
      bias: a.bias,
      gradHidden: a.gradHidden,
      gradWeight: a.gradWeight,
      gradBias: a.gradBias,
      chunkBytes,
    });
    expect(Number.isFinite(r.loss)).toBe(true);
    const grown = backendInfo().allocatedBytes - before;
    expect(grown).toBeGreaterThan(0);
    expect(grown).toBeLessThanOrEqual(chunkBytes + 16 * 12 + 4 * V + PACK + 256 + 64);
    a.release();

    const b = resident(3000); // ten times the rows: 24 MB of logits if they were held
    const before2 = backendInfo().allocatedBytes;
    linearCrossEntropy(b.hidden, b.weight, b.labels, {
      classes: V,
      bias: b.bias,
      gradHidden: b.gradHidden,
      gradWeight: b.gradWeight,
      gradBias: b.gradBias,
      chunkBytes,
    });
    expect(backendInfo().allocatedBytes - before2).toBe(0);
    b.release();
  });
});
