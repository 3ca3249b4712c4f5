/**
 * Package hygiene: `npm pack` ships exactly what a user needs (the built JS with its .d.ts, the six
 * wasm builds, README, CHANGELOG, LICENSE, package.json, and the documentation the README links to:
 * docs/ and the bench files it shows) and nothing else; every relative link of a shipped Markdown file
 * resolves to a shipped file; each wasm file stays under its size
 * budget; the published entry has no top-level await and no static import of a Node built-in.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, posix } from "node:path";
import { fileURLToPath } from "node:url";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");

/**
 * Size budgets in bytes, about 25% above the sizes when the budget was set (2026-11, with every kernel
 * of docs/spec.md — cross-entropy, softmax, smoothing, sigmoid CE, distillation, calibration, temperature:
 * simd 29 841 B, scalar 20 715 B). Raised once, deliberately: the four-vector unrolled row passes, the
 * small-K tile and the degree-4 exp polynomial brought the builds to relaxed 32 397 B, simd 32 765 B,
 * scalar 21 386 B (budgets again ~25% above). A change that pushes a build over its budget should raise the
 * budget deliberately, in the same commit, and say why.
 * Raised again (2026-11-26): specialised pass-2 loops for cross-entropy without smoothing (no Σ (z − m))
 * and for logSoftmax (no stores), the small-K tile's f64x2 finish and the f64x2 log brought the builds
 * from relaxed 38 410 / simd 39 022 B to 40 500 / 41 320 B, and the small-K tile for probability targets
 * (2× at K = 10) to 46 048 / 47 057 B; budgets ~10% above that.
 * Raised again (2026-11-27): the fused head (linearCrossEntropy with its strided GEMM micro-kernel) and the
 * confident-row repairs (dominantRepair, expSumRepairAtMax) brought the builds to relaxed 51 553 /
 * simd 52 675 / scalar 26 682 B; budgets ~10% above that, room for the threaded builds' entry points.
 * Raised again (2026-12-06): the focal losses (assembly/focal.ts, sigmoid_focal.ts: their f64 terms use
 * the f64 exp / log / log1p of the standard library) and its loop specialised by γ brought the builds to
 * relaxed 64 192 / simd 65 344 / scalar 34 375 B (threaded: 69 107 / 70 259 / 39 290 B); budgets ~4–10% above.
 * Raised again (2026-12-06): the parameter blocks (their ~90 field offsets, result slots and codes
 * exported as named globals for test/unit/threads-abi.test.ts, the job entry points, the step / block
 * forms of linearCrossEntropy, sigmoidCrossEntropy and distillation) brought the builds to relaxed
 * 57 888 / simd 59 010 / scalar 33 074 B without the focal losses; both together: relaxed 69 699 /
 * simd 70 830 / scalar 39 130 B (threaded 74 592 / 75 723 / 44 023 B); budgets ~7–10% above.
 * 2026-12-06, raised: calibration, fitTemperature's evaluations and smoothTargets as pooled jobs
 * (+2.2 KB), the focal option as jobs of its own and inside sigmoidCrossEntropy's and the fused head's
 * blocks, the focal pass's specialisations by uniform c (+1.5 KB), less the positional
 * sigmoidCrossEntropy / distillation entries no longer called: relaxed 74 868 / simd 76 218 /
 * scalar 42 812 B (threaded 79 691 / 81 041 / 47 635 B); budgets ~4–5% above. Then crossEntropy /
 * logSoftmax / softmax's parameter block (assembly/ce_job.ts): relaxed 76 166 / simd 77 516 / scalar
 * 44 110 B (threaded 80 989 / 82 339 / 48 933 B), 1.6–2.5% under the budgets.
 */
const WASM_BUDGET: Record<string, number> = {
  "dist/wasm/softxent.relaxed.wasm": 78_000,
  "dist/wasm/softxent.simd.wasm": 79_400,
  "dist/wasm/softxent.scalar.wasm": 44_800,
  // the threaded builds (docs/spec.md "Threads"): the same kernels plus the block entries and context
  "dist/wasm/softxent.relaxed-threads.wasm": 83_000,
  "dist/wasm/softxent.simd-threads.wasm": 84_400,
  "dist/wasm/softxent.scalar-threads.wasm": 49_800,
};

interface PackFile {
  path: string;
  size: number;
}

function packList(): PackFile[] {
  const out = execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
    cwd: root,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  const parsed = JSON.parse(out) as Array<{ files: PackFile[] }>;
  return parsed[0]!.files;
}

const files = packList();
const paths = new Set(files.map((f) => f.path));
const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  main: string;
  types: string;
  exports: Record<string, string | Record<string, string>>;
};

/** Where a shipped file is allowed to come from. */
/** The bench files the README links to or shows (its images), shipped so that the links work in the package. */
const BENCH_SHIPPED = [
  "bench/README.md",
  "bench/results/latest.svg",
  "bench/results/linear.svg",
  "bench/results/train.md",
  "bench/results/threads.md",
];

function allowed(path: string): boolean {
  if (path === "package.json" || path === "README.md" || path === "LICENSE" || path === "CHANGELOG.md") return true;
  if (/^docs\/[\w-]+\.(md|png)$/.test(path) || BENCH_SHIPPED.includes(path)) return true;
  if (/^dist\/wasm\/softxent\.(relaxed|simd|scalar)(-threads)?\.wasm$/.test(path)) return true;
  return /^dist\/(?!wasm\/)[\w/-]+\.(js|d\.ts)$/.test(path);
}

describe("npm pack", () => {
  it("ships only built JS, type declarations, the six wasm builds, the docs, README, CHANGELOG, LICENSE and package.json", () => {
    const unexpected = [...paths].filter((p) => !allowed(p));
    expect(unexpected).toEqual([]);
    for (const p of ["package.json", "LICENSE", "dist/index.js", "dist/index.d.ts", ...Object.keys(WASM_BUDGET)]) {
      expect(paths, p).toContain(p);
    }
  });

  it("ships README.md, CHANGELOG.md and every docs/*.md", () => {
    expect(paths).toContain("README.md");
    expect(paths).toContain("CHANGELOG.md");
    for (const f of readdirSync(join(root, "docs")).filter((f) => f.endsWith(".md"))) expect(paths).toContain(`docs/${f}`);
  });

  it("every relative link and image of a shipped Markdown file points at a shipped file", () => {
    const dead: string[] = [];
    for (const p of paths) {
      if (!p.endsWith(".md")) continue;
      let fence = false;
      for (const line of readFileSync(join(root, p), "utf8").split("\n")) {
        if (/^\s*(```|~~~)/.test(line)) fence = !fence;
        if (fence) continue;
        for (const m of line.replace(/`[^`]*`/g, "").matchAll(/\]\(([^)\s#]+)[^)]*\)/g)) {
          const target = m[1]!;
          if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
          const resolved = posix.normalize(posix.join(posix.dirname(p), decodeURIComponent(target)));
          if (!paths.has(resolved)) dead.push(`${p}: ${target}`);
        }
      }
    }
    expect(dead).toEqual([]);
  });

  it("ships no tests, sources, build text, maps or tarballs", () => {
    for (const p of paths) {
      expect(p).not.toMatch(/^(test|assembly|src|build|scripts|examples|\.ci)\//);
      if (p.startsWith("bench/")) expect(BENCH_SHIPPED).toContain(p);
      expect(p).not.toMatch(/\.(wat|map|tgz|tsbuildinfo)$/);
      expect(p).not.toMatch(/(^|\/)[^/]+\.ts$(?<!\.d\.ts)/);
    }
  });

  it("every shipped module has its .d.ts and comes from a current source file (no stale dist/ leftovers)", () => {
    for (const p of paths) {
      if (!p.endsWith(".js")) continue;
      expect(paths, `${p} has no declaration`).toContain(p.replace(/\.js$/, ".d.ts"));
      const source = join(root, "src", p.replace(/^dist\//, "").replace(/\.js$/, ".ts"));
      expect(existsSync(source), `${p} has no source ${source} (stale build output?)`).toBe(true);
    }
  });

  it("main, types and every exports target are in the package", () => {
    const targets = [pkg.main, pkg.types];
    for (const entry of Object.values(pkg.exports)) {
      if (typeof entry === "string") targets.push(entry);
      else targets.push(...Object.values(entry));
    }
    for (const t of targets) expect(paths, t).toContain(t.replace(/^\.\//, ""));
  });

  it("ships no bench-only kernels: no ./bounds subpath, no dist/bounds (the bench takes them from the build by path)", () => {
    expect(Object.keys(pkg.exports)).not.toContain("./bounds");
    expect([...paths].filter((p) => /^dist\/bounds\b/.test(p))).toEqual([]);
  });

  it("LICENSE is MIT, softxent contributors, 2026", () => {
    const text = readFileSync(join(root, "LICENSE"), "utf8");
    expect(text).toMatch(/^MIT License/);
    expect(text).toContain("Copyright (c) 2026 softxent contributors");
  });

  for (const [path, budget] of Object.entries(WASM_BUDGET)) {
    it(`${path} stays within its size budget (${budget} bytes)`, () => {
      const f = files.find((x) => x.path === path);
      expect(f, path).toBeDefined();
      expect(f!.size).toBeGreaterThan(1000);
      expect(f!.size).toBeLessThanOrEqual(budget);
    });
  }
});

/** Top-level await and static import specifiers of a module, found with TypeScript's parser. */
function moduleShape(file: string): { topLevelAwait: boolean; imports: string[] } {
  const text = readFileSync(file, "utf8");
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true, ts.ScriptKind.JS);
  let topLevelAwait = false;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node)) return; // await there is not top-level
    if (ts.isAwaitExpression(node) || (ts.isForOfStatement(node) && node.awaitModifier)) topLevelAwait = true;
    ts.forEachChild(node, visit);
  };
  visit(sf);
  const imports: string[] = [];
  for (const st of sf.statements) {
    if ((ts.isImportDeclaration(st) || ts.isExportDeclaration(st)) && st.moduleSpecifier && ts.isStringLiteral(st.moduleSpecifier)) {
      imports.push(st.moduleSpecifier.text);
    }
  }
  return { topLevelAwait, imports };
}

describe("the published entry", () => {
  const modules = [...paths].filter((p) => p.endsWith(".js"));

  it("has no top-level await in any shipped module", () => {
    const offenders = modules.filter((p) => moduleShape(join(root, p)).topLevelAwait);
    expect(offenders).toEqual([]);
  });

  it("imports only its own modules and @assemblyscript/loader (no Node built-ins, so bundles stay clean)", () => {
    for (const p of modules) {
      for (const spec of moduleShape(join(root, p)).imports) {
        expect(spec.startsWith("./") || spec.startsWith("../") || spec === "@assemblyscript/loader", `${p} imports ${spec}`).toBe(true);
      }
    }
  });

  it("names the wasm files with literal new URL(..., import.meta.url) so bundlers emit them", () => {
    const loader = readFileSync(join(root, "dist/loader.js"), "utf8");
    expect(loader).toContain('new URL("./wasm/softxent.relaxed.wasm", import.meta.url)');
    expect(loader).toContain('new URL("./wasm/softxent.simd.wasm", import.meta.url)');
    expect(loader).toContain('new URL("./wasm/softxent.scalar.wasm", import.meta.url)');
  });

  it("the top-level await check itself catches one", () => {
    const dir = mkdtempSync(join(tmpdir(), "softxent-tla-"));
    const tmp = join(dir, "probe.js");
    try {
      writeFileSync(tmp, "const f = async () => { await 1; };\nexport const x = await f();\n");
      expect(moduleShape(tmp).topLevelAwait).toBe(true);
      writeFileSync(tmp, "export const f = async () => { await 1; };\nfor await (const x of []) {}\n");
      expect(moduleShape(tmp).topLevelAwait).toBe(true);
      writeFileSync(tmp, "export const f = async () => { for await (const x of []) {} await 1; };\n");
      expect(moduleShape(tmp).topLevelAwait).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
