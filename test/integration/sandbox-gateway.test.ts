// The sandbox's one door: an agent granted tools reaches the gateway (a stand-in HTTP server on a
// Unix socket, as the worker serves the real one) through the variables it is given, and nothing
// else: not the host's TCP listeners, not the internet, not DNS, not another Unix socket. Without a
// grant nothing of the gateway is in the sandbox. Real bubblewrap, as root (see sandbox.test.ts).
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { manifestSchema } from '../../src/domain/catalog/schemas.js';
import { LocalRuntimeDriver } from '../../src/runtime/local/local-runtime-driver.js';
import { isolationLevel } from '../../src/runtime/local/sandbox/isolation.js';
import { runAgent } from '../../src/runtime/local/sandbox/run-agent.js';
import type { RunAgentRequest, SandboxLimits } from '../../src/runtime/local/sandbox/sandbox-types.js';
import type { GatewayGrant } from '../../src/runtime/runtime-driver.js';
import { packDirectory } from '../support/artifacts.js';

const repo = resolve(import.meta.dirname, '../..');
const fixture = (name: string) => join(repo, 'test/fixtures/agents', name);
const limits: SandboxLimits = {
  timeoutMs: 20_000,
  memoryMiB: 256,
  cpuSeconds: 15,
  maxProcesses: 24,
  maxOutputBytes: 1024 * 1024,
};
const grant: GatewayGrant = {
  token: 'bzgw_test-execution-token',
  tools: [
    { name: 'search', kind: 'http' },
    { name: 'openai', kind: 'llm' },
  ],
};

type Caller = {
  gateway: { status: number; body: Record<string, unknown> } | { error: string } | null;
  tcp: Record<string, string>;
  unix: Record<string, string>;
  dns: string;
  variables: Record<string, string>;
  mounted: boolean;
};

let work: string;
let gatewaySocket: string;
let otherSocket: string;
let gateway: Server;
let gatewayTcp: Server;
let gatewayPort: number;
let other: TcpServer;
let hostTcp: TcpServer;
let hostPort: number;

/** The stand-in gateway's answer: what it was asked, so a test sees the token arrive. */
async function answer(request: IncomingMessage) {
  let body = '';
  for await (const chunk of request) body += chunk;
  return {
    method: request.method,
    url: request.url,
    authorization: request.headers.authorization,
    body: JSON.parse(body || 'null'),
  };
}

const listen = (server: Server | TcpServer, address: string | number) =>
  new Promise<void>((done) =>
    typeof address === 'string' ? server.listen(address, done) : server.listen(address, '0.0.0.0', done),
  );
const close = (server: Server | TcpServer) => new Promise((done) => server.close(done));

/** Runs the gateway-caller agent with the default limits. */
async function callGateway(input: unknown, extra: Partial<RunAgentRequest> = {}) {
  const result = await runAgent({
    agentDir: fixture('gateway-caller'),
    command: ['node', 'main.mjs'],
    input,
    env: {},
    scratchDir: await mkdtemp(join(work, 'scratch-')),
    limits,
    ...extra,
  });
  return { result, output: result.output as Caller };
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bazaar-gateway-'));
  gatewaySocket = join(work, 'gateway.sock');
  otherSocket = join(work, 'other.sock');
  const handler = (request: IncomingMessage, response: ServerResponse) =>
    void answer(request).then((body) => {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ via: request.socket.remotePort ? 'tcp' : 'unix', ...body }));
    });
  gateway = createHttpServer(handler);
  gatewayTcp = createHttpServer(handler);
  other = createTcpServer((socket) => socket.end('another service'));
  hostTcp = createTcpServer((socket) => socket.end('hello from the host'));
  await listen(gateway, gatewaySocket);
  await listen(gatewayTcp, 0);
  await listen(other, otherSocket);
  await listen(hostTcp, 0);
  gatewayPort = (gatewayTcp.address() as { port: number }).port;
  hostPort = (hostTcp.address() as { port: number }).port;
  expect((await isolationLevel()).level).toBe('namespaces');
});

afterAll(async () => {
  await Promise.all([gateway, gatewayTcp, other, hostTcp].map(close));
  await rm(work, { recursive: true, force: true });
});

describe('an agent granted tools, in the namespaces sandbox', () => {
  let run: Awaited<ReturnType<typeof callGateway>>;

  beforeAll(async () => {
    run = await callGateway(
      {
        targets: [
          { host: '127.0.0.1', port: hostPort },
          { host: '127.0.0.1', port: gatewayPort },
          { host: '127.0.0.1', port: 5432 },
          { host: '1.1.1.1', port: 443 },
          { host: '8.8.8.8', port: 53 },
        ],
        sockets: [gatewaySocket, otherSocket, '/var/run/postgresql/.s.PGSQL.5432'],
      },
      { gateway: { grant, socketPath: gatewaySocket, port: gatewayPort } },
    );
  });

  it('calls the gateway through BAZAAR_TOOLS_URL with its token and gets its answer', () => {
    expect(run.result).toMatchObject({ status: 'succeeded', isolation: 'namespaces' });
    expect(run.output.gateway).toEqual({
      status: 200,
      body: {
        via: 'unix',
        method: 'POST',
        url: '/tools/search/query?q=1',
        authorization: `Bearer ${grant.token}`,
        body: { hello: 'gateway' },
      },
    });
  });

  it('gets the gateway variables for its own loopback, the token and nothing of the host', () => {
    expect(run.output.variables).toEqual({
      BAZAAR_TOOLS_URL: 'http://127.0.0.1:3100',
      BAZAAR_TOOLS_TOKEN: grant.token,
      OPENAI_BASE_URL: 'http://127.0.0.1:3100/v1',
      OPENAI_API_KEY: grant.token,
    });
    expect(run.output.mounted).toBe(true);
  });

  it("reaches nothing else: not the host's TCP listeners, not a public address, not DNS", () => {
    expect(Object.keys(run.output.tcp)).toHaveLength(5);
    for (const [target, outcome] of Object.entries(run.output.tcp))
      expect({ target, outcome }).toEqual({ target, outcome: expect.not.stringMatching(/^connected$/) });
    expect(run.output.tcp['1.1.1.1:443']).toBe('ENETUNREACH');
    expect(run.output.dns).not.toBe('resolved');
  });

  it('reaches no other Unix socket, not even the gateway socket by its host path', () => {
    for (const path of [gatewaySocket, otherSocket, '/var/run/postgresql/.s.PGSQL.5432'])
      expect({ path, outcome: run.output.unix[path] }).toEqual({ path, outcome: 'ENOENT' });
  });

  it("leaves the agent its whole task budget: the forwarder's threads are not on its uid", async () => {
    const forkBomb = async (extra: Partial<RunAgentRequest>) => {
      const result = await runAgent({
        agentDir: fixture('fork-bomb'),
        command: ['node', 'main.mjs'],
        input: { count: 200 },
        env: {},
        scratchDir: await mkdtemp(join(work, 'scratch-')),
        limits: { ...limits, maxProcesses: 48 },
        ...extra,
      });
      expect(result.status).toBe('succeeded');
      return result.output as { started: number; refused: string | null };
    };
    const alone = await forkBomb({});
    const granted = await forkBomb({ gateway: { grant, socketPath: gatewaySocket, port: gatewayPort } });
    expect(granted.refused).toBe('EAGAIN');
    expect(granted.started).toBeLessThan(48);
    // A Node forwarder counted on the agent's uid would take ~10 of its 48 tasks.
    expect(granted.started).toBeGreaterThanOrEqual(alone.started - 2);
  });

  it('keeps the agent under the seccomp filter and out of user namespaces', async () => {
    const granted = { gateway: { grant, socketPath: gatewaySocket, port: gatewayPort } };
    const probe = await runAgent({
      agentDir: fixture('syscall-prober'),
      command: ['node', 'main.mjs'],
      input: {},
      env: {},
      scratchDir: await mkdtemp(join(work, 'scratch-')),
      limits,
      ...granted,
    });
    expect(probe.output).toMatchObject({
      seccomp: '2',
      results: { clone_newuser: 'EPERM', ptrace: 'EPERM' },
    });
    const userns = await runAgent({
      agentDir: fixture('userns-maker'),
      command: ['node', 'main.mjs'],
      input: {},
      env: {},
      scratchDir: await mkdtemp(join(work, 'scratch-')),
      limits,
      ...granted,
    });
    expect(userns.output).toMatchObject({
      exitCode: 1,
      stderr: 'unshare: unshare failed: Operation not permitted',
    });
  });

  it('still times out, and the forwarder goes with the sandbox', async () => {
    const result = await runAgent({
      agentDir: fixture('infinite-loop'),
      command: ['node', 'main.mjs'],
      input: {},
      env: {},
      scratchDir: await mkdtemp(join(work, 'scratch-')),
      limits: { ...limits, timeoutMs: 1_500, cpuSeconds: 60 },
      gateway: { grant, socketPath: gatewaySocket, port: gatewayPort },
    });
    expect(result).toMatchObject({ status: 'timed_out', isolation: 'namespaces' });
  });
});

describe('an agent without a grant', () => {
  it('has no gateway socket, no forwarder and no gateway variables', async () => {
    const { result, output } = await callGateway({
      targets: [{ host: '127.0.0.1', port: 3100 }],
      sockets: ['/run/bazaar/gateway.sock', gatewaySocket],
    });
    expect(result.status).toBe('succeeded');
    expect(output).toMatchObject({ gateway: null, variables: {}, mounted: false });
    expect(output.tcp['127.0.0.1:3100']).toBe('ECONNREFUSED');
    expect(output.unix).toEqual({ '/run/bazaar/gateway.sock': 'ENOENT', [gatewaySocket]: 'ENOENT' });
  });
});

describe('process isolation (no network namespace)', () => {
  it("gives the agent the gateway's TCP port on the host loopback, which it calls", async () => {
    const { result, output } = await callGateway(
      {},
      { isolation: 'process', gateway: { grant, socketPath: gatewaySocket, port: gatewayPort } },
    );
    expect(result).toMatchObject({ status: 'succeeded', isolation: 'process' });
    expect(output.variables.BAZAAR_TOOLS_URL).toBe(`http://127.0.0.1:${gatewayPort}`);
    expect(output.gateway).toMatchObject({
      status: 200,
      body: { via: 'tcp', authorization: `Bearer ${grant.token}` },
    });
  });
});

describe('the local runtime driver', () => {
  const manifest = async () => {
    const echo = JSON.parse(await readFile(join(repo, 'agents/echo/manifest.json'), 'utf8'));
    return manifestSchema.parse({ ...echo, runtime: { kind: 'process', command: ['node', 'main.mjs'] } });
  };
  const slot = {
    orgId: 'org-gw',
    installationId: 'inst-gw',
    listingId: 'listing-gw',
    versionId: 'version-gw',
    runtimeKind: 'process' as const,
  };

  it("gives the agent its token and the gateway's URL, and no tool credential's value", async () => {
    const driver = new LocalRuntimeDriver(join(work, 'runtimes'), {
      socketPath: gatewaySocket,
      port: gatewayPort,
    });
    const ref = await driver.createRuntime({
      ...slot,
      manifest: await manifest(),
      artifact: packDirectory(fixture('env-reader')),
    });
    // The tenant's own OpenAI key, as installing a version with an llm tool stores it.
    await driver.injectSecrets(ref, { OPENAI_API_KEY: 'sk-tenant-real-key', SHOP_API_KEY: 'shop-key' });
    const result = await driver.invoke(ref, {
      executionId: 'exec-gw-1',
      input: {},
      manifest: await manifest(),
      gateway: grant,
    });
    expect(result.status).toBe('succeeded');
    const { env } = result.output as { env: Record<string, string> };
    expect(env).toMatchObject({
      BAZAAR_TOOLS_URL: 'http://127.0.0.1:3100',
      BAZAAR_TOOLS_TOKEN: grant.token,
      OPENAI_BASE_URL: 'http://127.0.0.1:3100/v1',
      OPENAI_API_KEY: grant.token,
      SHOP_API_KEY: 'shop-key',
    });
    expect(JSON.stringify(result.output)).not.toContain('sk-tenant-real-key');
    // The token is redacted from the record like a credential.
    expect(result.secretsGiven.BAZAAR_TOOLS_TOKEN).toBe(grant.token);
  });

  it('refuses to run a granted invocation when the worker serves no gateway socket', async () => {
    const missing = join(work, 'no-gateway');
    await mkdir(missing);
    const driver = new LocalRuntimeDriver(join(work, 'runtimes'), {
      socketPath: join(missing, 'gateway.sock'),
      port: gatewayPort,
    });
    const ref = driver.refFor(slot);
    await expect(
      driver.invoke(ref, { executionId: 'exec-gw-2', input: {}, manifest: await manifest(), gateway: grant }),
    ).rejects.toThrow(/not being served/);
  });
});
