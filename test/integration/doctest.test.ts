/**
 * Docs are code: every fenced js/ts block of README.md and docs/*.md runs as a standalone ES module
 * (scripts/doctest.mjs; here against this repository's dist/, in scripts/pack-check.mjs against the
 * packed package installed by name). A block is skipped only with a reason in its marker.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without declarations
import { blocksOf } from "../../scripts/doctest.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
type Block = { lang: string; code: string; line: number; skip: string | { malformed: string } | null };
const parse = blocksOf as (text: string) => Block[];

describe("doctest", () => {
  it("finds the blocks, their languages, lines and skip markers", () => {
    const md = [
      "# t",
      "```js",
      "console.log(1);",
      "```",
      "<!-- doctest: skip (browser page) -->",
      "```ts",
      "const a: number = 1;",
      "```",
      "<!-- doctest: skip -->",
      "```js",
      "x",
      "```",
      "```sh",
      "npm test",
      "```",
    ].join("\n");
    const b = parse(md);
    expect(b.map((x) => [x.lang, x.line, x.skip])).toEqual([
      ["js", 2, null],
      ["ts", 6, "browser page"],
      ["js", 10, { malformed: "skip" }],
      ["sh", 13, null],
    ]);
    expect(b[0]!.code).toBe("console.log(1);");
  });

  it("a failing block, and a skip marker without a reason, fail the run", () => {
    const dir = mkdtempSync(join(tmpdir(), "softxent-doctest-"));
    try {
      const file = join(dir, "bad.md");
      writeFileSync(file, '```js\nimport { init } from "softxent";\nawait init();\nundefinedName();\n```\n');
      expect(() => execFileSync(process.execPath, ["scripts/doctest.mjs", file], { cwd: root, stdio: "pipe" })).toThrow(/undefinedName/);
      writeFileSync(file, "<!-- doctest: skip -->\n```js\n1\n```\n");
      expect(() => execFileSync(process.execPath, ["scripts/doctest.mjs", file], { cwd: root, stdio: "pipe" })).toThrow(
        /malformed doctest marker/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("every block of README.md and docs/*.md runs as written", () => {
    const out = execFileSync(process.execPath, ["scripts/doctest.mjs"], { cwd: root, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    expect(out).toMatch(/doctest: \d+ blocks ran, \d+ skipped by marker, 0 failed/);
  });
});
