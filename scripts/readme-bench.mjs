// Puts the committed bench results into the docs, so that they show exactly the committed runs:
// - README.md, between <!-- headline:start --> and <!-- headline:end -->: bench/results/headline.md
//   (softxent against each peer: mean per call and ratio, from `npm run bench:peers`);
// - docs/performance.md, between <!-- bench:start --> and <!-- bench:end -->: the full tables,
//   bench/results/latest.md (`npm run bench`) then bench/results/peers.md (`npm run bench:peers`).
// A file without its block (or missing) is skipped with a message naming the markers to add; the
// script fails only when it updated nothing. Run after the bench: node scripts/readme-bench.mjs
import { existsSync, readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const results = (name) => {
  const url = new URL(`bench/results/${name}`, root);
  if (!existsSync(url)) throw new Error(`bench/results/${name} is missing: run the bench first (see bench/README.md)`);
  return readFileSync(url, "utf8").trim();
};

const targets = [
  { file: "README.md", block: "headline", text: () => results("headline.md") },
  { file: "docs/performance.md", block: "bench", text: () => [results("latest.md"), results("peers.md")].join("\n\n") },
];

let updated = 0;
for (const { file, block, text } of targets) {
  const url = new URL(file, root);
  const start = `<!-- ${block}:start -->`,
    end = `<!-- ${block}:end -->`;
  if (!existsSync(url)) {
    console.warn(`${file}: not found — skipped (its ${start} … ${end} block would hold the ${block} tables)`);
    continue;
  }
  const doc = readFileSync(url, "utf8");
  const i = doc.indexOf(start),
    j = doc.indexOf(end);
  if (i < 0 || j < i) {
    console.warn(`${file}: no ${start} … ${end} block — skipped (add the two marker lines where the ${block} tables belong)`);
    continue;
  }
  writeFileSync(url, doc.slice(0, i + start.length) + "\n" + text() + "\n" + doc.slice(j));
  console.log(`${file}: ${block} block replaced from bench/results`);
  updated++;
}
if (updated === 0) {
  console.error("readme-bench: nothing updated");
  process.exitCode = 1;
}
