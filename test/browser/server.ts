/**
 * A tiny static file server for the browser suites, on 127.0.0.1 with an ephemeral port. It maps URL
 * prefixes to directories, sends the right Content-Type (application/wasm for .wasm, so browsers
 * may compile while downloading) and nothing else. Started and stopped by each test file.
 */
import { createServer, type Server } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, sep } from "node:path";
import type { AddressInfo } from "node:net";

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".wasm": "application/wasm",
  ".map": "application/json; charset=utf-8",
};

export interface StaticServer {
  /** e.g. "http://127.0.0.1:41234" */
  origin: string;
  /** Paths requested so far, in order (to tell which files a page really loaded). */
  requests: string[];
  close(): Promise<void>;
}

export interface ServeOptions {
  /** URL prefix ("/" or "/dist/") → directory. The longest matching prefix wins. */
  mounts: Record<string, string>;
  /** Content-Type override by URL path (to simulate misconfigured hosts). */
  contentType?: (path: string) => string | undefined;
  /** Rewrites a file's body before sending it (by URL path). */
  transform?: (path: string, body: Buffer) => Buffer;
  /** Extra headers on every file (e.g. COOP/COEP for a cross-origin-isolated page). */
  headers?: Record<string, string>;
}

export async function serveStatic(options: ServeOptions): Promise<StaticServer> {
  const mounts = Object.entries(options.mounts).sort((a, b) => b[0].length - a[0].length);
  const requests: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    requests.push(path);
    const mount = mounts.find(([prefix]) => path.startsWith(prefix));
    if (!mount || req.method !== "GET") {
      res.writeHead(404).end();
      return;
    }
    const dir = normalize(mount[1]);
    let file = normalize(join(dir, path.slice(mount[0].length)));
    if (file !== dir && !file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      if ((await stat(file)).isDirectory()) file = join(file, "index.html");
      const raw = await readFile(file);
      const body = options.transform ? options.transform(path, raw) : raw;
      const type = options.contentType?.(path) ?? MIME[extname(file)] ?? "application/octet-stream";
      res.writeHead(200, { ...options.headers, "Content-Type": type, "Content-Length": body.length, "Cache-Control": "no-store" });
      res.end(body);
    } catch {
      res.writeHead(404, { "Content-Type": "text/plain" }).end("not found");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
