// Runs every fenced ```js / ```ts block of README.md and docs/*.md as a standalone ES module in Node,
// as written: imports are the ones users write ("softxent", "softxent/tfjs", "softxent/reference",
// "@tensorflow/tfjs"), top-level await allowed; a ts block is type-stripped with TypeScript's
// transpileModule first (not type-checked here). A block that cannot run in Node carries, on the line
// just before its fence, `<!-- doctest: skip (reason) -->`; the reason is required (a browser-only
// block names the browser test that runs it instead).
//
// Where "softxent" comes from:
// - default: this repository, through Node's package self-reference (the blocks are written under
//   build/doctest/, inside the package, so "softxent" resolves by package.json "exports" to dist/);
// - --project <dir>: a project where the package is installed (scripts/pack-check.mjs installs the
//   packed tarball in a scratch project and runs the blocks there).
//
// Run: node scripts/doctest.mjs [--project <dir>] [--list] [file.md …]
// Exits 1 when a block fails (its file:line, exit code and output are printed).
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const LANGS = new Set(["js", "javascript", "mjs", "ts", "typescript"]);
const TIMEOUT_MS = 180_000;

/**
 * The code blocks of a Markdown text: { lang, code, line (1-based, of the fence), skip (reason or null) }.
 * Fences of ``` or ~~~, info string's first word as the language; a marker line
 * `<!-- doctest: skip (reason) -->` directly above the fence skips it.
 */
export function blocksOf(text) {
  const lines = text.split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]);
    if (!open) continue;
    const fence = open[2];
    const lang = open[3].toLowerCase();
    let j = i + 1;
    while (j < lines.length && !lines[j].trimStart().startsWith(fence)) j++;
    const code = lines.slice(i + 1, j).join("\n");
    const above = i > 0 ? lines[i - 1].trim() : "";
    let skip = null;
    const marker = /^<!--\s*doctest:\s*(.*?)\s*-->$/.exec(above);
    if (marker) {
      const m = /^skip\s*\((.+)\)$/.exec(marker[1]);
      skip = m ? m[1].trim() : { malformed: marker[1] };
    }
    blocks.push({ lang, code, line: i + 1, skip });
    i = j;
  }
  return blocks;
}

/** The Markdown files whose blocks run: README.md and docs/*.md (or the ones given). */
function docFiles(args) {
  if (args.length > 0) return args.map((f) => resolve(f));
  return [
    join(root, "README.md"),
    ...readdirSync(join(root, "docs"))
      .filter((f) => f.endsWith(".md"))
      .sort()
      .map((f) => join(root, "docs", f)),
  ];
}

/** Type-strips a ts block (TypeScript from this repository's devDependencies). */
function stripTypes(code, fileName) {
  const ts = createRequire(import.meta.url)("typescript");
  const out = ts.transpileModule(code, {
    fileName,
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false },
    reportDiagnostics: true,
  });
  if (out.diagnostics?.length) {
    throw new Error(out.diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")).join("\n"));
  }
  return out.outputText;
}

function run(file, cwd) {
  return new Promise((done) => {
    const child = spawn(process.execPath, [file], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), TIMEOUT_MS);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      done({ code, signal, out });
    });
  });
}

async function main() {
  const argv = process.argv.slice(2);
  let project = null;
  const list = argv.includes("--list");
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--project") project = resolve(argv[++i]);
    else if (argv[i] !== "--list") files.push(argv[i]);
  }
  const outDir = project ? join(project, "doctest") : join(root, "build", "doctest");
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const jobs = [];
  let failed = 0;
  let passed = 0;
  let skipped = 0;
  for (const file of docFiles(files)) {
    const rel = relative(root, file);
    for (const b of blocksOf(readFileSync(file, "utf8"))) {
      if (!LANGS.has(b.lang)) continue;
      const where = `${rel}:${b.line}`;
      if (b.skip !== null) {
        if (typeof b.skip === "object") {
          console.error(`✗ ${where}: malformed doctest marker '${b.skip.malformed}' (write <!-- doctest: skip (reason) -->)`);
          failed++;
        } else {
          console.log(`- ${where} skipped: ${b.skip}`);
          skipped++;
        }
        continue;
      }
      const name = `${basename(file, ".md")}-${b.line}.mjs`;
      let code = b.code;
      if (b.lang === "ts" || b.lang === "typescript") {
        try {
          code = stripTypes(code, name.replace(/\.mjs$/, ".ts"));
        } catch (e) {
          console.error(`✗ ${where}: TypeScript could not parse the block\n${e.message}`);
          failed++;
          continue;
        }
      }
      writeFileSync(join(outDir, name), `// ${where}\n${code}\n`);
      jobs.push({ where, path: join(outDir, name) });
    }
  }
  if (list) {
    for (const j of jobs) console.log(`${j.where} → ${relative(process.cwd(), j.path)}`);
    return;
  }
  // Two at a time: the blocks are small, and most of their time is loading wasm and TF.js.
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next++];
      const t0 = performance.now();
      const r = await run(job.path, dirname(job.path));
      const ms = Math.round(performance.now() - t0);
      if (r.code === 0) {
        passed++;
        console.log(`✓ ${job.where} (${ms} ms)`);
      } else {
        failed++;
        const why = r.signal ? `killed by ${r.signal} after ${ms} ms` : `exit ${r.code}`;
        console.error(`✗ ${job.where}: ${why}\n${r.out.trimEnd().replace(/^/gm, "    ")}`);
      }
    }
  };
  await Promise.all([worker(), worker()]);
  console.log(
    `doctest: ${passed} blocks ran, ${skipped} skipped by marker, ${failed} failed` +
      (project ? ` (softxent from ${project})` : " (softxent from this repository's dist/)"),
  );
  process.exit(failed === 0 ? 0 : 1);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
