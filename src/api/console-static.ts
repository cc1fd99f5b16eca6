// Serves the built console (web/dist) at / on the API's origin: files by path, with long caching for
// the content-hashed assets/, and index.html for any other non-API GET path (the console routes in
// the browser). API paths (/v1, /docs, /health, /openapi.json, /metrics) never reach it. When the console was
// not built, / says how to build it.
import { readFile, stat } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.js';

/** Where the console is built to by default: web/dist of this checkout. */
export const defaultConsoleDir = fileURLToPath(new URL('../../web/dist', import.meta.url));

// /metrics is served on METRICS_PORT only: on the API's port it is a 404, not the console's page.
const apiPrefixes = ['/v1/', '/docs', '/health', '/openapi.json', '/metrics'];

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

// The console's page: its own scripts and styles only, no framing, no plugins. 'unsafe-eval' is for
// ajv, which compiles the JSON Schemas of run forms and manifests into functions; inline and foreign
// scripts stay refused. Inline style attributes are what React and the chart library set.
const contentSecurityPolicy = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-eval'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
  "form-action 'self'",
].join('; ');

/** Whether the path belongs to the API (the console never answers it). */
export function isApiPath(path: string): boolean {
  return path === '/v1' || apiPrefixes.some((prefix) => path.startsWith(prefix));
}

async function fileAt(root: string, path: string): Promise<string | null> {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const file = resolve(root, `.${decoded}`);
  if (file !== root && !file.startsWith(root + sep)) return null;
  const info = await stat(file).catch(() => null);
  return info?.isFile() ? file : null;
}

function answer(c: Context, body: Uint8Array | string, type: string, cache: string, status = 200): Response {
  const headers: Record<string, string> = {
    'content-type': type,
    'cache-control': cache,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
  };
  if (type.startsWith('text/html')) {
    headers['content-security-policy'] = contentSecurityPolicy;
    headers['x-frame-options'] = 'DENY';
  }
  return c.body(typeof body === 'string' ? body : new Uint8Array(body), status as 200, headers);
}

const notBuilt = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Bazaar</title></head>
<body><main><h1>The Bazaar console is not built</h1>
<p>Run <code>npm run build:web</code> (npm start does it when it is missing or stale), then reload.
The API is at <a href="/docs">/docs</a>.</p></main></body></html>`;

/** GET/HEAD handler for everything that is not the API: the console's files, else its index.html. */
export function serveConsole(options: { dir?: string }): MiddlewareHandler<AppEnv> {
  const root = resolve(options.dir ?? defaultConsoleDir);
  return async function consoleMiddleware(c, next) {
    if (isApiPath(c.req.path)) return next();
    const file = await fileAt(root, c.req.path);
    if (file && !file.endsWith(`${sep}index.html`)) {
      const immutable = file.startsWith(join(root, 'assets') + sep);
      return answer(
        c,
        await readFile(file),
        contentTypes[extname(file)] ?? 'application/octet-stream',
        immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    }
    // A missing asset is a 404, not the page: a stale tab asking for an old chunk must see it fail.
    if (c.req.path.startsWith('/assets/')) return next();
    const index = await readFile(join(root, 'index.html')).catch(() => null);
    if (!index) return answer(c, notBuilt, 'text/html; charset=utf-8', 'no-store', 503);
    return answer(c, index, 'text/html; charset=utf-8', 'no-cache');
  };
}
