// The one place that loads the wasm core. It finds the binaries, picks the SIMD or the scalar build
// (WebAssembly.validate on the real SIMD binary, or its compile when streaming), instantiates it with
// @assemblyscript/loader and caches the result. No top-level await: nothing runs at import time.

import { instantiate, instantiateSync } from "@assemblyscript/loader";
import type { Build, CoreExports, LoadedCore } from "./abi.js";
import type { InitOptions, WasmSource } from "./types.js";

export type { Build, CoreExports, LoadedCore } from "./abi.js";

/** The key of a build in `init({ wasm: { … } })` and its file name (`softxent.<key>.wasm`). */
type FileKey = "relaxed" | "simd" | "scalar";
const BUILD_OF: Record<FileKey, Build> = { relaxed: "relaxed-simd", simd: "simd", scalar: "scalar" };
/** What simdBuild() returns for each build (assembly/index.ts). */
const BUILD_CODE: Record<Build, number> = { scalar: 0, simd: 1, "relaxed-simd": 2 };

// Written literally so that bundlers (Vite, webpack 5, Rollup, esbuild with a plugin) see them and emit
// the files as assets.
function defaultUrl(key: FileKey): URL {
  if (key === "relaxed") return new URL("./wasm/softxent.relaxed.wasm", import.meta.url);
  return key === "simd" ? new URL("./wasm/softxent.simd.wasm", import.meta.url) : new URL("./wasm/softxent.scalar.wasm", import.meta.url);
}

/** The threaded builds (shared, imported memory), written literally for bundlers as above. */
function threadedUrl(key: FileKey): URL {
  if (key === "relaxed") return new URL("./wasm/softxent.relaxed-threads.wasm", import.meta.url);
  return key === "simd"
    ? new URL("./wasm/softxent.simd-threads.wasm", import.meta.url)
    : new URL("./wasm/softxent.scalar-threads.wasm", import.meta.url);
}

/** wasm32's 65536 pages: the threaded builds declare this maximum (a shared memory must have one). */
const SHARED_MAX_PAGES = 65536;

function sharedMemory(): WebAssembly.Memory {
  return new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAX_PAGES, shared: true });
}

interface NodeFs {
  readFileSync(path: URL): Uint8Array;
  promises: { readFile(path: URL): Promise<Uint8Array> };
}

/** Node's fs, found without a static import so that browser bundles never see it. */
function nodeFs(): NodeFs | null {
  const proc = (globalThis as { process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown } }).process;
  if (!proc?.versions?.node || typeof proc.getBuiltinModule !== "function") return null;
  return proc.getBuiltinModule("node:fs") as NodeFs;
}

function isBuildMap(w: unknown): w is Partial<Record<FileKey, WasmSource>> {
  return (
    typeof w === "object" &&
    w !== null &&
    !(w instanceof URL) &&
    !isBytes(w) &&
    !(w instanceof WebAssembly.Module) &&
    !(typeof Response !== "undefined" && w instanceof Response) &&
    ("simd" in w || "scalar" in w || "relaxed" in w)
  );
}

/**
 * Where build `key` comes from, or undefined when the caller gave sources without it. A single source
 * (not a { relaxed, simd, scalar } map) stands for whichever of the SIMD and scalar builds is loaded;
 * the relaxed build is only ever taken from the default files or an explicit `relaxed` entry.
 */
function sourceFor(options: InitOptions | undefined, key: FileKey, threaded = false): WasmSource | undefined {
  const w = options?.wasm;
  if (threaded) return threadedUrl(key); // init() refuses threads > 1 together with wasm sources
  if (w === undefined) return defaultUrl(key);
  if (isBuildMap(w)) return w[key];
  return key === "relaxed" ? undefined : (w as WasmSource);
}

function requireSource(options: InitOptions | undefined, key: FileKey, threaded = false): WasmSource {
  const s = sourceFor(options, key, threaded);
  if (s === undefined) {
    throw new TypeError(`softxent.init: options.wasm.${key} is missing; received ${Object.keys(options!.wasm as object).join(", ")}`);
  }
  return s;
}

/**
 * A string source resolves as fetch() would resolve it: against the page or worker location where
 * there is one. (Not against import.meta.url: bundlers such as webpack replace that with the
 * build machine's file:// path.) Elsewhere (Node) against this module's URL.
 */
function resolveString(src: string): URL {
  const href = (globalThis as { location?: { href?: string } }).location?.href;
  return new URL(src, typeof href === "string" ? href : import.meta.url);
}

function isBytes(s: unknown): s is BufferSource {
  return s instanceof ArrayBuffer || ArrayBuffer.isView(s);
}

/** Bytes or a Module, synchronously, where the platform allows it. */
function loadSync(src: WasmSource): BufferSource | WebAssembly.Module {
  if (isBytes(src) || src instanceof WebAssembly.Module) return src;
  const url = typeof src === "string" ? resolveString(src) : src instanceof URL ? src : null;
  const fs = nodeFs();
  if (url && url.protocol === "file:" && fs) return fs.readFileSync(url);
  throw new Error(
    "softxent.initSync: cannot load the wasm synchronously here (no file system); use `await init()`, " +
      "or pass the bytes or a compiled WebAssembly.Module as `initSync({ wasm })`",
  );
}

async function loadAsync(src: WasmSource): Promise<BufferSource | WebAssembly.Module | Response> {
  if (isBytes(src) || src instanceof WebAssembly.Module) return src;
  if (typeof Response !== "undefined" && src instanceof Response) return src;
  const url = typeof src === "string" ? resolveString(src) : (src as URL);
  const fs = nodeFs();
  if (url.protocol === "file:" && fs) return fs.promises.readFile(url);
  if (typeof fetch !== "function") throw new Error(`softxent.init: no fetch() to load ${url.href}`);
  const res = await fetch(url);
  if (!res.ok) throw new Error(`softxent.init: loading ${url.href} failed: HTTP ${res.status}`);
  if (/^text\/html/i.test(res.headers.get("content-type") ?? "")) {
    // A dev server's fallback page: the .wasm is not where the module's URL says it is.
    throw new Error(
      `softxent.init: ${url.href} answered with an HTML page, not the wasm binary; the file is not served at that URL ` +
        "(a bundler that moved softxent's JS without its wasm/ folder? see the README, or pass init({ wasm }))",
    );
  }
  return res;
}

function validates(x: BufferSource | WebAssembly.Module): boolean {
  return x instanceof WebAssembly.Module || WebAssembly.validate(x);
}

function finish(
  exports: unknown,
  build: Build,
  simdSupported: boolean,
  relaxedSimdSupported: boolean,
  module?: WebAssembly.Module,
): LoadedCore {
  const e = exports as CoreExports;
  const code = e.simdBuild();
  if (code !== BUILD_CODE[build]) {
    const actual = (Object.keys(BUILD_CODE) as Build[]).find((b) => BUILD_CODE[b] === code) ?? "unknown";
    throw new Error(`softxent.init: the wasm given as the ${build} build is the ${actual} build`);
  }
  return module
    ? { exports: e, build, simdSupported, relaxedSimdSupported, module }
    : { exports: e, build, simdSupported, relaxedSimdSupported };
}

function flag(options: InitOptions | undefined, name: "simd" | "relaxedSimd"): boolean | undefined {
  const s = options?.[name];
  if (s !== undefined && typeof s !== "boolean")
    throw new TypeError(`softxent.init: options.${name} must be true, false or undefined; received ${String(s)}`);
  return s;
}

/**
 * The builds to try, best first: relaxed SIMD (unless `relaxedSimd: false`, `simd: false`, or sources
 * were given without it), then SIMD (unless `simd: false`), then scalar — each taken only if the
 * engine validates it; `required` marks the one the options insist on.
 */
function plan(options: InitOptions | undefined): { key: FileKey; required: boolean }[] {
  const simd = flag(options, "simd");
  const relaxed = flag(options, "relaxedSimd");
  if (relaxed === true && simd === false)
    throw new RangeError("softxent.init: options.relaxedSimd: true needs SIMD, but options.simd is false");
  const steps: { key: FileKey; required: boolean }[] = [];
  if (simd !== false) {
    if (relaxed === true) return [{ key: "relaxed", required: true }];
    if (relaxed === undefined && sourceFor(options, "relaxed") !== undefined) steps.push({ key: "relaxed", required: false });
    steps.push({ key: "simd", required: simd === true });
    if (simd === true) return steps;
  }
  steps.push({ key: "scalar", required: true });
  return steps;
}

function unsupported(key: FileKey): Error {
  return key === "scalar"
    ? new Error("softxent.init: this engine does not validate the scalar build (is WebAssembly supported?)")
    : new Error(
        `softxent.init: { ${key === "relaxed" ? "relaxedSimd" : "simd"}: true } was asked for, but this engine does not validate the ${BUILD_OF[key]} build`,
      );
}

/** SIMD support for backendInfo() when the SIMD build was not tried: validate it only where that is cheap. */
function simdSupportedAnyway(options: InitOptions | undefined): boolean {
  try {
    const src = sourceFor(options, "simd");
    if (src === undefined) return false;
    if (isBytes(src) || src instanceof WebAssembly.Module) return validates(src);
    if (nodeFs() && (typeof src === "string" || src instanceof URL)) return validates(loadSync(src) as BufferSource);
  } catch {
    // only reported; the scalar build was asked for
  }
  return false;
}

/**
 * threaded: load the -threads build (its memory a new shared WebAssembly.Memory, the compiled module
 * kept in LoadedCore.module for the pool's workers); the caller checked threadsUnavailable() first.
 */
export function loadCoreSync(options?: InitOptions, threaded = false): LoadedCore {
  let simdSupported = false,
    relaxedSupported = false;
  for (const { key, required } of plan(options)) {
    let bytes: BufferSource | WebAssembly.Module;
    try {
      bytes = loadSync(requireSource(options, key, threaded));
    } catch (err) {
      if (required || key !== "relaxed") throw err;
      continue; // an optional build whose file is not there (e.g. self-hosted without it): the next one
    }
    const ok = validates(bytes);
    if (key === "relaxed") relaxedSupported = ok;
    if (key !== "scalar" && ok) simdSupported = true;
    if (ok) {
      if (key === "scalar" && !simdSupported) simdSupported = simdSupportedAnyway(options);
      if (threaded) {
        const module = bytes instanceof WebAssembly.Module ? bytes : new WebAssembly.Module(bytes);
        const ex = instantiateSync(module, { env: { memory: sharedMemory() } }).instance.exports;
        return finish(ex, BUILD_OF[key], simdSupported, relaxedSupported, module);
      }
      return finish(instantiateSync(bytes).instance.exports, BUILD_OF[key], simdSupported, relaxedSupported);
    }
    if (required) throw unsupported(key);
  }
  throw unsupported("scalar");
}

function isWasmMime(res: Response): boolean {
  return /^application\/wasm\s*(;|$)/i.test(res.headers.get("content-type") ?? "");
}

async function instantiateChecked(src: BufferSource | WebAssembly.Module | Response): Promise<unknown | null> {
  if (typeof Response !== "undefined" && src instanceof Response && !isWasmMime(src)) {
    // instantiateStreaming rejects any other Content-Type (a TypeError, not a CompileError); many
    // static hosts serve .wasm as application/octet-stream. Compile from the bytes instead.
    src = await src.arrayBuffer();
  }
  if (typeof Response !== "undefined" && src instanceof Response) {
    // Streaming compile validates the real binary as it arrives; a CompileError means "not supported".
    try {
      return (await instantiate(src)).instance.exports;
    } catch (err) {
      if (err instanceof WebAssembly.CompileError) return null;
      throw err;
    }
  }
  if (!validates(src)) return null;
  return (await instantiate(src)).instance.exports;
}

/** As loadCoreSync; the threaded builds are compiled from their bytes (the workers need the module). */
export async function loadCore(options?: InitOptions, threaded = false): Promise<LoadedCore> {
  let simdSupported = false,
    relaxedSupported = false;
  for (const { key, required } of plan(options)) {
    let ex: unknown | null;
    let module: WebAssembly.Module | undefined;
    try {
      if (threaded) {
        let src = await loadAsync(requireSource(options, key, true));
        if (typeof Response !== "undefined" && src instanceof Response) src = await src.arrayBuffer();
        const bytes = src as BufferSource;
        ex = null;
        if (validates(bytes)) {
          module = await WebAssembly.compile(bytes);
          ex = (await instantiate(module, { env: { memory: sharedMemory() } })).instance.exports;
        }
      } else ex = await instantiateChecked(await loadAsync(requireSource(options, key)));
    } catch (err) {
      if (required || key !== "relaxed") throw err;
      continue; // an optional build whose file is not there (e.g. self-hosted without it): the next one
    }
    if (key === "relaxed") relaxedSupported = ex !== null;
    if (key !== "scalar" && ex !== null) simdSupported = true;
    if (ex !== null) {
      if (key === "scalar" && !simdSupported) simdSupported = simdSupportedAnyway(options);
      return finish(ex, BUILD_OF[key], simdSupported, relaxedSupported, module);
    }
    if (required) throw unsupported(key);
  }
  throw unsupported("scalar");
}
