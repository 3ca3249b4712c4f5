/** Adam (Kingma & Ba 2015) over a list of f32 parameter arrays, with bias correction. */
export class Adam {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private t = 0;

  constructor(
    private readonly params: Float32Array[],
    private readonly lr: number,
    private readonly beta1 = 0.9,
    private readonly beta2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
  }

  step(grads: Float32Array[]): void {
    this.t++;
    const { beta1: b1, beta2: b2, eps } = this;
    const stepSize = (this.lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t);
    for (let q = 0; q < this.params.length; q++) {
      const p = this.params[q]!;
      const g = grads[q]!;
      const m = this.m[q]!;
      const v = this.v[q]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        const mi = b1 * m[i]! + (1 - b1) * gi;
        const vi = b2 * v[i]! + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        p[i]! -= (stepSize * mi) / (Math.sqrt(vi) + eps);
      }
    }
  }
}
