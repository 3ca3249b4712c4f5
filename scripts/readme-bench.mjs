// Puts bench/results/latest.md (the tables of the last `npm run bench`) into README.md between the
// <!-- bench:start --> and <!-- bench:end --> markers, so the README shows exactly the committed run.
// Run after `npm run bench`: node scripts/readme-bench.mjs
import { readFileSync, writeFileSync } from "node:fs";

const root = new URL("../", import.meta.url);
const readme = readFileSync(new URL("README.md", root), "utf8");
const tables = readFileSync(new URL("bench/results/latest.md", root), "utf8").trim();
const start = "<!-- bench:start -->", end = "<!-- bench:end -->";
const i = readme.indexOf(start), j = readme.indexOf(end);
if (i < 0 || j < i) throw new Error("README.md has no <!-- bench:start --> … <!-- bench:end --> block");
writeFileSync(new URL("README.md", root), readme.slice(0, i + start.length) + "\n" + tables + "\n" + readme.slice(j));
console.log("README.md: benchmark tables replaced from bench/results/latest.md");
