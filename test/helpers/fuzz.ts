/**
 * fast-check arbitraries and run settings shared by the property-based suites (test/fuzz/).
 *
 * Run length. Each property declares how many cases it runs in CI (small, so the whole fuzz suite
 * stays well under a minute on two cores). To run many more:
 *
 *   SOFTXENT_FUZZ_RUNS=100000 npx vitest run test/fuzz     # every property runs 100,000 cases
 *   npm run fuzz:long                                        # the same, 2.6 million cases in all (26 properties)
 *
 * CI replays a fixed seed (CI_SEED), so it is deterministic; long mode draws a fresh seed per run
 * (or SOFTXENT_FUZZ_SEED=<n>; SOFTXENT_FUZZ_SEED=random randomises a CI-length run too).
 *
 * Reproducing a failure. fast-check shrinks a failing case to a minimal one and prints it with its
 * seed and path; replay exactly that case with
 *
 *   SOFTXENT_FUZZ_SEED=<seed> SOFTXENT_FUZZ_PATH=<path> npx vitest run test/fuzz -t "<property name>"
 *
 * Values. Logits are drawn per case from one of several profiles, so a case is either "ordinary"
 * (N(0,·)-like values, docs/spec.md's accuracy domain) or deliberately hostile (|z| up to 1e4, row offsets
 * up to 1e7, tiny and subnormal values, −Infinity = masked classes, NaN, +Infinity). Every value
 * is an f32 and every generator shrinks towards small shapes and 0.
 */
import fc from "fast-check";

const env = process.env;

function envInt(name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer; received ${JSON.stringify(raw)}`);
  return v;
}

/** Cases per property when SOFTXENT_FUZZ_RUNS is set (long mode), else undefined. */
export const LONG_RUNS = envInt("SOFTXENT_FUZZ_RUNS");

/**
 * The seed of every CI run: CI replays the same cases each time (a red CI run means a change broke
 * something, never an unlucky draw). Long mode draws a fresh seed each run unless one is given.
 */
export const CI_SEED = 20250607;

/** fast-check parameters for a property that runs `ciRuns` cases in CI. */
export function fuzzParams(ciRuns: number): fc.Parameters<unknown> {
  const seed = env.SOFTXENT_FUZZ_SEED === "random" ? undefined : (envSeed() ?? (LONG_RUNS === undefined ? CI_SEED : undefined));
  const path = env.SOFTXENT_FUZZ_PATH;
  return {
    numRuns: LONG_RUNS ?? ciRuns,
    ...(seed !== undefined ? { seed } : {}),
    ...(path ? { path } : {}),
  };
}

function envSeed(): number | undefined {
  const raw = env.SOFTXENT_FUZZ_SEED;
  if (raw === undefined || raw === "") return undefined;
  const v = Number(raw);
  if (!Number.isInteger(v)) throw new Error(`SOFTXENT_FUZZ_SEED must be an integer or "random"; received ${JSON.stringify(raw)}`);
  return v;
}

/** vitest timeout for one property: the config's default in CI, unbounded in long mode. */
export const FUZZ_TIMEOUT = LONG_RUNS === undefined ? 120_000 : 7 * 24 * 3600_000;

const f32 = Math.fround;
const STEPS = 1 << 20;

/** f32 values spread evenly over [−a, a] (not by bit pattern), shrinking towards 0. */
export function uniformIn(a: number): fc.Arbitrary<number> {
  return fc.integer({ min: -STEPS, max: STEPS }).map((i) => f32((i / STEPS) * a));
}

/** f32 values spread evenly over [lo, hi], shrinking towards lo. */
export function uniformBetween(lo: number, hi: number): fc.Arbitrary<number> {
  return fc.integer({ min: 0, max: STEPS }).map((i) => f32(lo + (i / STEPS) * (hi - lo)));
}

/**
 * How a case's logits are drawn:
 * - normal:  |z| ≤ 12 (docs/spec.md's N(0, 3²) domain)
 * - wide:    |z| up to 1e4
 * - offset:  each row shifted by up to ±1e7 (f32 spacing there is 1)
 * - tiny:    |z| ≤ 1e-20, zeros of both signs and subnormals
 * - masked:  ordinary values and −Infinity (masked classes, fully masked rows)
 * - special: ordinary values with −Infinity, NaN and +Infinity
 */
export type Profile = "normal" | "wide" | "offset" | "tiny" | "masked" | "special";

/** Profiles inside docs/spec.md's accuracy domain with only finite logits. */
export const FINITE_PROFILES: readonly Profile[] = ["normal", "wide", "offset", "tiny"];

export const profileArb: fc.Arbitrary<Profile> = fc.oneof(
  { weight: 4, arbitrary: fc.constant<Profile>("normal") },
  { weight: 2, arbitrary: fc.constant<Profile>("wide") },
  { weight: 2, arbitrary: fc.constant<Profile>("offset") },
  { weight: 1, arbitrary: fc.constant<Profile>("tiny") },
  { weight: 2, arbitrary: fc.constant<Profile>("masked") },
  { weight: 2, arbitrary: fc.constant<Profile>("special") },
);

export const finiteProfileArb: fc.Arbitrary<Profile> = fc.constantFrom(...FINITE_PROFILES);

const ordinary = uniformIn(12);

function elementArb(profile: Profile): fc.Arbitrary<number> {
  switch (profile) {
    case "normal":
    case "offset":
      return ordinary;
    case "wide":
      return fc.oneof(ordinary, uniformIn(1e4));
    case "tiny":
      return fc.oneof(fc.float({ min: f32(-1e-20), max: f32(1e-20), noNaN: true }), fc.constantFrom(0, -0, f32(1.4e-45), f32(-1.4e-45)));
    case "masked":
      return fc.oneof({ weight: 3, arbitrary: ordinary }, { weight: 2, arbitrary: fc.constant(-Infinity) });
    case "special":
      return fc.oneof(
        { weight: 8, arbitrary: ordinary },
        { weight: 2, arbitrary: fc.constant(-Infinity) },
        { weight: 1, arbitrary: fc.constant(NaN) },
        { weight: 1, arbitrary: fc.constant(Infinity) },
      );
  }
}

function offsetArb(profile: Profile): fc.Arbitrary<number> {
  if (profile !== "offset") return fc.constant(0);
  return fc.oneof(fc.constant(0), fc.constantFrom(1e7, -1e7, 5e6, -3e6, 1e5), uniformIn(1e7));
}

/** One row of K logits of the given profile (a row offset, if any, already added). */
export function logitRowArb(k: number, profile: Profile): fc.Arbitrary<number[]> {
  return fc
    .tuple(offsetArb(profile), fc.array(elementArb(profile), { minLength: k, maxLength: k }))
    .map(([o, v]) => (o === 0 ? v : v.map((x) => f32(o + x))));
}

/**
 * K: mostly small (1..9), sometimes up to 40, and as often across the rest of the small-K tile
 * (41..72, rows across the SIMD lanes) as past it (73..300: the row path, SIMD tails, several vectors).
 */
export const classesArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 1, max: 9 }) },
  { weight: 3, arbitrary: fc.integer({ min: 10, max: 40 }) },
  { weight: 1, arbitrary: fc.integer({ min: 41, max: 72 }) },
  { weight: 1, arbitrary: fc.integer({ min: 73, max: 300 }) },
);

/** Largest N of a short batch for a given K, so that N·K stays small (N = 0 is always possible). */
export function maxRows(k: number): number {
  return k <= 9 ? 8 : k <= 40 ? 5 : 3;
}

/**
 * Rows of a long batch for a given K: past every block the kernels work in (64-row blocks of
 * deferred logs, 4-row tiles, flushes of f32 partial sums into f64) — from 60 to 300 rows, with N·K
 * kept to about 6000 elements (at least 70 rows) so that a property stays fast.
 */
export function longRows(k: number): { min: number; max: number } {
  return { min: 60, max: Math.max(70, Math.min(300, Math.floor(6000 / k))) };
}

/** How often a batch is long (1 in LONG_ODDS + 1). */
const LONG_ODDS = 9;

/**
 * A batch built from a per-row arbitrary: usually short (0..maxRows(k) rows), one time in ten long
 * (longRows(k)). Long batches shrink towards 60 rows, short ones towards none.
 */
export function rowsArb<T>(k: number, row: fc.Arbitrary<T>, short = maxRows(k)): fc.Arbitrary<T[]> {
  const { min, max } = longRows(k);
  return fc.oneof(
    { weight: LONG_ODDS, arbitrary: fc.array(row, { minLength: 0, maxLength: short }) },
    { weight: 1, arbitrary: fc.integer({ min, max }).chain((n) => fc.array(row, { minLength: n, maxLength: n })) },
  );
}

export function flatten(rows: readonly (readonly number[])[], k: number): Float32Array {
  const out = new Float32Array(rows.length * k);
  rows.forEach((r, i) => out.set(r, i * k));
  return out;
}

export const smoothingArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 2, arbitrary: fc.constantFrom(0.1, 1) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 1000 }).map((i) => i / 1000) },
);

export const reductionArb = fc.constantFrom("mean" as const, "sum" as const, "none" as const);
export const smoothingModeArb = fc.constantFrom("uniform" as const, "others" as const);
export const zLossArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constantFrom(1e-4, 1e-2, 0.5) },
);

/** A class weight: finite, ≥ 0, sometimes exactly 0. */
export const weightArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 1, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 400 }).map((i) => f32(i / 100)) },
);

/** A probability-target entry: ≥ 0, sometimes 0 or 1. */
export const probabilityArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 1, arbitrary: fc.constantFrom(0, 1) },
  { weight: 3, arbitrary: uniformBetween(0, 1) },
);
