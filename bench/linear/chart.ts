// The fused head's picture for the README: time per call (loss + all gradients) of softxent and TF.js
// at each measured head shape, and wasm memory growth of one call at 2048×256×32000 beside the 524 MB that
// the materialised logits and their gradient alone take. Drawn from bench/results/linear.json.

interface Stat {
  meanMs: number;
}
export interface LinearReport {
  date: string;
  fused: { shape: [number, number, number]; softxent: Stat; tfjs: Stat; ratio: number }[];
  memory: { growthBytes: number; inputBytes: number; outputBytes: number; logitsAndGradBytes: number };
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");

export function linearChart(r: LinearReport): string {
  const W = 720,
    rowH = 22,
    left = 170,
    barMax = W - left - 150;
  const parts: string[] = [];
  let y = 30;
  parts.push(
    `<text x="10" y="20" font-weight="bold">Fused head: loss + gradients of hidden, weight and bias (one thread, mean per call)</text>`,
  );
  const maxMs = Math.max(...r.fused.map((f) => f.tfjs.meanMs));
  const scale = (ms: number) => Math.max(1, (Math.log10(1 + ms) / Math.log10(1 + maxMs)) * barMax);
  for (const f of r.fused) {
    const label = `${f.shape[0]}×${f.shape[1]}→${f.shape[2]}`;
    y += 8;
    for (const [name, ms, color] of [
      ["softxent", f.softxent.meanMs, "#2a7ab9"],
      ["TF.js wasm", f.tfjs.meanMs, "#e08a2c"],
    ] as const) {
      parts.push(`<text x="10" y="${y + 15}">${esc(name === "softxent" ? label : "")}</text>`);
      parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="11">${name}</text>`);
      parts.push(`<rect x="${left}" y="${y + 3}" width="${scale(ms).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`);
      parts.push(
        `<text x="${left + scale(ms) + 6}" y="${y + 15}" font-size="11">${ms >= 1000 ? (ms / 1000).toFixed(2) + " s" : ms.toFixed(0) + " ms"}${name === "softxent" ? `  (${f.ratio.toFixed(1)}× faster)` : ""}</text>`,
      );
      y += rowH;
    }
  }
  parts.push(`<text x="${left}" y="${y + 14}" font-size="10" fill="#666">log scale</text>`);
  y += 40;
  const m = r.memory,
    MB = (b: number) => `${(b / 1e6).toFixed(0)} MB`;
  parts.push(
    `<text x="10" y="${y}" font-weight="bold">Memory at 2048×256→32000 (beyond the inputs and outputs, ${MB(m.inputBytes + m.outputBytes)})</text>`,
  );
  y += 10;
  const extra = m.growthBytes - m.inputBytes - m.outputBytes;
  const mscale = (b: number) => Math.max(1, (b / m.logitsAndGradBytes) * barMax);
  for (const [name, bytes, color] of [
    ["softxent (one chunk)", extra, "#2a7ab9"],
    ["logits + gradient", m.logitsAndGradBytes, "#e08a2c"],
  ] as const) {
    parts.push(`<text x="${left - 8}" y="${y + 15}" text-anchor="end" font-size="11">${name}</text>`);
    parts.push(`<rect x="${left}" y="${y + 3}" width="${mscale(bytes).toFixed(1)}" height="${rowH - 6}" fill="${color}"/>`);
    parts.push(`<text x="${left + mscale(bytes) + 6}" y="${y + 15}" font-size="11">${MB(bytes)}</text>`);
    y += rowH;
  }
  y += 20;
  parts.push(
    `<text x="10" y="${y}" font-size="10" fill="#666">npm run bench:linear, ${esc(r.date.slice(0, 10))}; any implementation that materialises the logits holds at least the orange bar</text>`,
  );
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${y + 10}" font-family="sans-serif" font-size="12">\n<rect width="100%" height="100%" fill="white"/>\n${parts.join("\n")}\n</svg>\n`;
}
