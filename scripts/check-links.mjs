// Checks every relative link and image in README.md and docs/*.md: the file must exist in the
// repository, and a #fragment must name a heading of the target Markdown file (GitHub's heading
// anchors). External links (http:, https:, mailto:) are not fetched. Then every citation of the
// contract — the path docs/spec.md followed by a heading in double quotes (an optional comma between,
// across a comment's line break too) in code and docs must name a real heading of docs/spec.md. Exits 1 on any broken link or
// citation.
// Run: node scripts/check-links.mjs [--links-only] [file.md …]
//   (with files: only their links; --links-only: no citation check, e.g. for an installed package)
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** GitHub's anchor for a heading: lower case, formatting and punctuation dropped, spaces → hyphens. */
function slug(heading) {
  return heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1") // links and images keep their text
    .replace(/<[^>]+>/g, "")
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors a Markdown file defines (headings outside code fences, duplicates numbered as GitHub does). */
function anchorsOf(text) {
  const seen = new Map();
  const anchors = new Set();
  let fence = false;
  for (const line of text.split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Link targets outside code fences and inline code: [text](target) and ![alt](target). */
function linksOf(text) {
  const links = [];
  let fence = false;
  text.split("\n").forEach((line, i) => {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    if (fence) return;
    const plain = line.replace(/`[^`]*`/g, (code) => " ".repeat(code.length));
    for (const m of plain.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) links.push({ target: m[1], line: i + 1 });
  });
  return links;
}

const argv = process.argv.slice(2);
const linksOnly = argv.includes("--links-only");
const given = argv.filter((a) => a !== "--links-only");
const files =
  given.length > 0
    ? given.map((f) => resolve(f))
    : [
        join(root, "README.md"),
        join(root, "CHANGELOG.md"),
        ...readdirSync(join(root, "docs"))
          .filter((f) => f.endsWith(".md"))
          .map((f) => join(root, "docs", f)),
      ];

const anchorCache = new Map();
function anchorsIn(path) {
  if (!anchorCache.has(path)) anchorCache.set(path, anchorsOf(readFileSync(path, "utf8")));
  return anchorCache.get(path);
}

let broken = 0;
let checked = 0;
for (const file of files) {
  const text = readFileSync(file, "utf8");
  for (const { target, line } of linksOf(text)) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // external
    checked++;
    const [pathPart, fragment] = target.split("#", 2);
    const dest = pathPart === "" ? file : resolve(dirname(file), decodeURIComponent(pathPart));
    const where = `${relative(root, file)}:${line}`;
    if (!existsSync(dest)) {
      console.error(`${where}: ${target} — no such file`);
      broken++;
      continue;
    }
    if (fragment !== undefined && dest.endsWith(".md") && statSync(dest).isFile() && !anchorsIn(dest).has(fragment)) {
      console.error(`${where}: ${target} — ${relative(root, dest)} has no heading with anchor #${fragment}`);
      broken++;
    }
  }
}
console.log(`${checked} relative links in ${files.length} files, ${broken} broken`);

// ---------------------------------------------------------------- citations of docs/spec.md sections
let badCitations = 0;
if (!linksOnly && given.length === 0) {
  /** The headings of docs/spec.md as written, inline-code backticks dropped. */
  const headings = new Set();
  let fence = false;
  for (const line of readFileSync(join(root, "docs", "spec.md"), "utf8").split("\n")) {
    if (/^\s*(```|~~~)/.test(line)) fence = !fence;
    const m = !fence && /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (m) headings.add(m[1].replace(/`/g, ""));
  }
  const SKIP = new Set(["node_modules", "dist", "build", "dist-examples", "results", ".git"]);
  const sources = [];
  const walk = (dir) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (SKIP.has(e.name)) continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.(ts|mjs|js|md)$/.test(e.name) && p !== fileURLToPath(import.meta.url)) sources.push(p);
    }
  };
  for (const d of ["src", "assembly", "test", "bench", "scripts", "examples", "docs"]) if (existsSync(join(root, d))) walk(join(root, d));
  for (const f of ["README.md", "CHANGELOG.md"]) if (existsSync(join(root, f))) sources.push(join(root, f));
  let cited = 0;
  for (const file of sources) {
    const text = readFileSync(file, "utf8");
    // The path, an optional comma, then only whitespace and comment markers before the quoted section.
    for (const m of text.matchAll(/docs\/spec\.md,?(?:\s|\/\/|\*)*"([^"\n]+)"/g)) {
      cited++;
      if (headings.has(m[1])) continue;
      const line = text.slice(0, m.index).split("\n").length;
      console.error(`${relative(root, file)}:${line}: a citation of section "${m[1]}" — docs/spec.md has no heading "${m[1]}"`);
      badCitations++;
    }
  }
  console.log(`${cited} citations of docs/spec.md sections in ${sources.length} files, ${badCitations} naming no heading`);
}
process.exit(broken === 0 && badCitations === 0 ? 0 : 1);
