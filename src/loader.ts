// The one place that loads the wasm core. It finds the binaries, picks the SIMD or the scalar build
// (WebAssembly.validate on the real SIMD binary, or its compile when streaming), instantiates it with
// @assemblyscript/loader and caches the result. No top-level await: nothing runs at import time.

import { instantiate, instantiateSync } from "@assemblyscript/loader";
import type { InitOptions, WasmSource } from "./types.js";

/** The raw exports of the core (see assembly/index.ts). Pointers are byte offsets. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  resultsPtr(): number;
  simdBuild(): number;
  labelScan(y: number, n: number, k: number, ignoreIndex: number, w: number): number;
  crossEntropyIndex(
    z: number, y: number, n: number, k: number, eps: number, others: number, ignoreIndex: number,
    w: number, wMode: number, lambda: number, reduction: number, g: number, grad: number, rowLoss: number,
  ): number;
  crossEntropyProb(
    z: number, t: number, n: number, k: number, eps: number, w: number, lambda: number, reduction: number,
    g: number, grad: number, rowLoss: number,
  ): void;
  logSoftmax(z: number, out: number, n: number, k: number, scratch: number): void;
  softmax(z: number, out: number, n: number, k: number, invT: number): void;
  smoothTargets(y: number, n: number, k: number, eps: number, others: number, ignoreIndex: number, out: number): number;
  expPass(x: number, out: number, len: number): void;
  scalePass(x: number, out: number, len: number, c: number): void;
  sigmoidCrossEntropy(
    x: number, t: number, count: number, k: number, pw: number, eps: number, reduction: number,
    g: number, grad: number, out: number,
  ): void;
  distillation(
    s: number, t: number, y: number, n: number, k: number, T: number, alpha: number, eps: number, others: number,
    ignoreIndex: number, reduction: number, g: number, grad: number, rowLoss: number, scratch: number,
  ): number;
  calibrationRows(
    z: number, y: number, n: number, k: number, T: number, fromProb: number, ignoreIndex: number,
    conf: number, correct: number, w64: number,
  ): number;
  temperatureMoments(z: number, y: number, n: number, k: number, ignoreIndex: number, beta: number): number;
}

export interface LoadedCore {
  exports: CoreExports;
  build: "simd" | "scalar";
  simdSupported: boolean;
}

type Build = "simd" | "scalar";

// Written literally so that bundlers (Vite, webpack 5, Rollup, esbuild with a plugin) see them and emit
// the files as assets.
function defaultUrl(build: Build): URL {
  return build === "simd"
    ? new URL("./wasm/softxent.simd.wasm", import.meta.url)
    : new URL("./wasm/softxent.scalar.wasm", import.meta.url);
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

function sourceFor(options: InitOptions | undefined, build: Build): WasmSource {
  const w = options?.wasm;
  if (w === undefined) return defaultUrl(build);
  if (typeof w === "object" && w !== null && ("simd" in w || "scalar" in w) && !(w instanceof URL)) {
    const s = (w as { simd?: WasmSource; scalar?: WasmSource })[build];
    if (s === undefined) throw new TypeError(`softxent.init: options.wasm.${build} is missing; received ${Object.keys(w).join(", ")}`);
    return s;
  }
  return w as WasmSource;
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

function finish(exports: unknown, build: Build, simdSupported: boolean): LoadedCore {
  const e = exports as CoreExports;
  if ((e.simdBuild() === 1) !== (build === "simd")) {
    throw new Error(`softxent.init: the wasm given as the ${build} build is the ${build === "simd" ? "scalar" : "simd"} build`);
  }
  return { exports: e, build, simdSupported };
}

function wantSimd(options: InitOptions | undefined): boolean | undefined {
  const s = options?.simd;
  if (s !== undefined && typeof s !== "boolean") throw new TypeError(`softxent.init: options.simd must be true, false or undefined; received ${String(s)}`);
  return s;
}

export function loadCoreSync(options?: InitOptions): LoadedCore {
  const want = wantSimd(options);
  let simdSupported = false;
  if (want === false) {
    try {
      simdSupported = validates(loadSync(sourceFor(options, "simd")));
    } catch {
      simdSupported = false; // only reported; the scalar build was asked for
    }
  } else {
    const bytes = loadSync(sourceFor(options, "simd"));
    simdSupported = validates(bytes);
    if (simdSupported) return finish(instantiateSync(bytes).instance.exports, "simd", true);
    if (want === true) throw new Error("softxent.init: { simd: true } was asked for, but this engine does not validate the SIMD build");
  }
  const bytes = loadSync(sourceFor(options, "scalar"));
  return finish(instantiateSync(bytes).instance.exports, "scalar", simdSupported);
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

export async function loadCore(options?: InitOptions): Promise<LoadedCore> {
  const want = wantSimd(options);
  let simdSupported = false;
  if (want !== false) {
    const ex = await instantiateChecked(await loadAsync(sourceFor(options, "simd")));
    if (ex) return finish(ex, "simd", true);
    if (want === true) throw new Error("softxent.init: { simd: true } was asked for, but this engine does not validate the SIMD build");
  } else {
    // Still report whether SIMD would have been available (cheap: validate only, from bytes where we
    // have them). Only reported, as in loadCoreSync: a missing or unreadable SIMD source is no error here.
    try {
      const src = sourceFor(options, "simd");
      if (isBytes(src) || src instanceof WebAssembly.Module) simdSupported = validates(src);
      else if (nodeFs() && (typeof src === "string" || src instanceof URL)) simdSupported = validates(loadSync(src) as BufferSource);
    } catch {
      simdSupported = false;
    }
  }
  const ex = await instantiateChecked(await loadAsync(sourceFor(options, "scalar")));
  if (!ex) throw new Error("softxent.init: this engine does not validate the scalar build (is WebAssembly supported?)");
  return finish(ex, "scalar", simdSupported);
}
