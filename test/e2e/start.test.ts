// Bazaar started as a user starts it (src/main.ts, what `npm start` runs after installing), with its
// own Temporal dev server child, then driven over HTTP and stopped with SIGINT (Ctrl-C).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { echoArtifact } from '../support/agents.js';
import { freePort } from '../support/free-port.js';
import { manifest } from '../support/harness.js';
import { waitFor } from '../support/wait-for.js';

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    socket.once('connect', () => resolve(!socket.destroy()));
    socket.once('error', () => resolve(false));
  });

describe('npm start', () => {
  let bazaar: ChildProcess;
  let output = '';
  let api: string;
  let dataDir: string;
  let temporalPort: number;
  let uiPort: number;
  const databaseName = `bazaar_e2e_${Date.now()}`;
  const databaseUrl = new URL(inject('databaseUrl'));
  databaseUrl.pathname = `/${databaseName}`;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bazaar-e2e-'));
    const port = await freePort();
    temporalPort = await freePort();
    uiPort = await freePort();
    api = `http://127.0.0.1:${port}`;
    bazaar = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        DATABASE_URL: databaseUrl.toString(),
        TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`,
        TEMPORAL_UI_PORT: String(uiPort),
        TEMPORAL_CLI_PATH: inject('temporalCliPath'),
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    bazaar.stdout!.on('data', (chunk) => (output += chunk));
    bazaar.stderr!.on('data', (chunk) => (output += chunk));
    await waitFor(
      async () => output.includes('Bazaar is running.') || bazaar.exitCode !== null,
      'start-up',
      90_000,
    );
    if (bazaar.exitCode !== null) throw new Error(`Bazaar exited during start-up:\n${output}`);
  }, 120_000);

  afterAll(async () => {
    if (bazaar.exitCode === null) bazaar.kill('SIGKILL');
    const admin = new pg.Client({ connectionString: inject('databaseUrl') });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await admin.end();
  });

  it('prints where everything is, and generates an owner-only admin token', async () => {
    expect(output).toContain(`API:          http://localhost:${new URL(api).port}/v1`);
    expect(output).toContain('/docs');
    expect(output).toContain(`Temporal UI:  http://127.0.0.1:${uiPort}`);
    expect(output).toContain(join(dataDir, 'admin-token'));
    const { mode } = await stat(join(dataDir, 'admin-token'));
    expect(mode & 0o077).toBe(0);
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
  });

  it('publishes a listing through review over HTTP', async () => {
    const admin = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const call = async (method: string, path: string, token: string, body?: unknown) => {
      const response = await fetch(`${api}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    };
    expect((await fetch(`${api}/health`).then((r) => r.json())).status).toBe('ok');
    const org = await call('POST', '/v1/orgs', admin, { name: 'Acme' });
    const publisher = org.body.apiKey.token;
    await call('POST', '/v1/listings', publisher, {
      slug: 'returns-desk',
      name: 'Returns desk',
      category: 'support',
    });
    expect((await call('POST', '/v1/listings/returns-desk/versions', publisher, manifest())).status).toBe(
      201,
    );
    const upload = await fetch(`${api}/v1/listings/returns-desk/versions/1.0.0/artifact`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${publisher}`, 'content-type': 'application/gzip' },
      body: new Uint8Array(echoArtifact()),
    });
    expect(upload.status).toBe(200);
    const submitted = await call('POST', '/v1/listings/returns-desk/versions/1.0.0/submit', publisher);
    expect(submitted.status).toBe(202);
    const reviewer = (await call('POST', '/v1/platform/keys', admin, { name: 'alice', role: 'reviewer' }))
      .body.token;
    const versionId = submitted.body.workflowId.replace('publish:', '');
    await waitFor(
      async () =>
        (await call('GET', `/v1/workflows/${submitted.body.workflowId}`, publisher)).body.state?.phase ===
        'awaiting_review',
      'awaiting review',
    );
    expect(
      (await call('POST', `/v1/reviews/${versionId}/decision`, reviewer, { decision: 'approve' })).status,
    ).toBe(202);
    await waitFor(
      async () => (await call('GET', '/v1/listings/returns-desk', publisher)).body.latestVersion === '1.0.0',
      'publication',
    );
  });

  it('keeps credentials under an owner-only master key it generated, and never logs a value', async () => {
    const admin = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const org = await fetch(`${api}/v1/orgs`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Credential holder' }),
    }).then((r) => r.json());
    const value = `sk-e2e-${Date.now()}-do-not-log`;
    const put = await fetch(`${api}/v1/credentials/SHOP_API_KEY`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${org.apiKey.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ value }),
    });
    expect(put.status).toBe(204);
    const listed = await fetch(`${api}/v1/credentials`, {
      headers: { authorization: `Bearer ${org.apiKey.token}` },
    }).then((r) => r.text());
    expect(JSON.parse(listed).credentials).toEqual([expect.objectContaining({ name: 'SHOP_API_KEY' })]);
    expect(listed).not.toContain(value);
    const keyFile = join(dataDir, 'master-key');
    expect((await stat(keyFile)).mode & 0o077).toBe(0);
    expect(Buffer.from((await readFile(keyFile, 'utf8')).trim(), 'base64')).toHaveLength(32);
    expect(output).not.toContain(value);
  });

  it('stops the API, worker and Temporal dev server on Ctrl-C', async () => {
    const exited = new Promise<number | null>((resolve) => bazaar.once('exit', (code) => resolve(code)));
    bazaar.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await portOpen(Number(new URL(api).port))).toBe(false);
    expect(await waitFor(async () => !(await portOpen(temporalPort)), 'the dev server to stop')).toBe(true);
  });
});
