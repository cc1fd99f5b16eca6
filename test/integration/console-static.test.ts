// The API process serves the built console at /: its files, index.html for the console's own paths,
// long caching only for hashed assets, a CSP on the page, and never in the way of the API.
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

describe('the console served by the API', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bazaar-console-dist-'));
    await mkdir(join(dir, 'assets'));
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>console</title>');
    await writeFile(join(dir, 'assets', 'index-abc123.js'), 'console.log(1)');
    await writeFile(join(dir, 'favicon.svg'), '<svg/>');
    h = await startHarness({ env: { CONSOLE_DIR: dir } });
  });
  afterAll(() => h.stop());

  const get = (path: string) => h.app.request(path);

  it('answers the console page at / and at any console path, with a CSP and no caching', async () => {
    for (const path of ['/', '/installations/123', '/listings/refund-desk?q=x']) {
      const response = await get(path);
      expect(response.status, path).toBe(200);
      expect(await response.text()).toContain('<title>console</title>');
      expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(response.headers.get('cache-control')).toBe('no-cache');
      expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  it('serves files with their type; hashed assets are cached for a year, a missing one is a 404', async () => {
    const asset = await get('/assets/index-abc123.js');
    expect(asset.status).toBe(200);
    expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(asset.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const icon = await get('/favicon.svg');
    expect(icon.headers.get('content-type')).toBe('image/svg+xml');
    expect(icon.headers.get('cache-control')).toBe('no-cache');
    const missing = await get('/assets/index-old.js');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.code).toBe('not_found');
  });

  it('never serves a file outside its directory', async () => {
    for (const path of [
      '/..%2f..%2fetc%2fpasswd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/assets/..%2f..%2f..%2fetc%2fpasswd',
    ]) {
      const response = await get(path);
      expect(await response.text(), path).not.toContain('root:');
    }
  });

  it('leaves the API paths to the API', async () => {
    const unknown = await get('/v1/nothing-here');
    expect(unknown.status).toBe(401);
    expect((await unknown.json()).error.code).toBe('unauthorized');
    const known = await h.request('GET', '/v1/nothing-here');
    expect(known.status).toBe(404);
    expect((await get('/health')).headers.get('content-type')).toContain('application/json');
    expect((await get('/openapi.json')).headers.get('content-type')).toContain('application/json');
  });

  it('says how to build the console when it is not built', async () => {
    const unbuilt = await startHarness({ env: { CONSOLE_DIR: join(dir, 'nope') } });
    try {
      const response = await unbuilt.app.request('/');
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('npm run build:web');
    } finally {
      await unbuilt.stop();
    }
  });
});
