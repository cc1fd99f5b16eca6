// The `bazaar` CLI as a subprocess against a Bazaar started as a user starts it: login, init,
// validate, publish with review (the reviewer acting through the CLI too), search, install with a
// credential typed at a hidden prompt in a pseudo-terminal, run, --json output, errors and exit codes.
import { mkdtemp, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { runCli, startCli, startCliInTerminal, type CliRun } from '../support/cli.js';
import { startBazaar, type StartedBazaar } from '../support/started-bazaar.js';
import { waitFor } from '../support/wait-for.js';

describe('the bazaar CLI', () => {
  let bazaar: StartedBazaar;
  let work: string;
  let config: string;
  const keys = { publisher: '', reviewer: '', consumer: '' };
  let installationId = '';

  /** Runs the CLI with the test's config directory and, when given, a key from the environment. */
  const cli = (args: string[], key?: keyof typeof keys, options: CliRun = {}) =>
    runCli(args, {
      cwd: work,
      ...options,
      env: { XDG_CONFIG_HOME: config, ...(key ? { BAZAAR_API_KEY: keys[key] } : {}), ...options.env },
    });

  const setVersion = async (version: string) => {
    const file = join(work, 'desk', 'bazaar.json');
    const manifest = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...manifest, version }));
  };

  beforeAll(async () => {
    bazaar = await startBazaar({
      databaseUrl: inject('databaseUrl'),
      temporalAddress: inject('temporalAddress'),
      temporalCliPath: inject('temporalCliPath'),
    });
    work = await mkdtemp(join(tmpdir(), 'bazaar-cli-'));
    config = join(work, 'config');
  }, 120_000);

  afterAll(async () => {
    await bazaar?.stop();
  });

  it('logs in: checks the key, stores URL and key owner-only, and the environment overrides it', async () => {
    const wrong = await cli(['login', '--url', bazaar.url, '--key', 'bzr_not_a_key']);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^error: .*\(401 unauthorized, request \S+\)\n$/);
    await expect(stat(join(config, 'bazaar', 'config.json'))).rejects.toThrow();

    // Asked for at a hidden prompt in a terminal.
    const terminal = startCliInTerminal(['login', '--url', bazaar.url], { env: { XDG_CONFIG_HOME: config } });
    await waitFor(async () => terminal.screen().includes('API key (hidden)'), 'the hidden key prompt');
    terminal.type(`${bazaar.adminToken}\r`);
    expect(await terminal.exited).toBe(0);
    expect(terminal.screen()).toContain(`Logged in to ${bazaar.url} with a platform-admin key `);
    expect(terminal.screen()).not.toContain(bazaar.adminToken);
    const login = await cli(['login', '--url', bazaar.url, '--key', bazaar.adminToken, '--json']);
    expect(login.code).toBe(0);
    expect(login.json()).toMatchObject({ url: bazaar.url, kind: 'platform', role: 'platform-admin' });
    const file = join(config, 'bazaar', 'config.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: bazaar.url, apiKey: bazaar.adminToken });

    keys.publisher = (await cli(['orgs', 'create', 'Acme Support Tools', '-q'])).stdout.trim();
    keys.reviewer = (await cli(['keys', 'create', 'alice', '--role', 'reviewer', '-q'])).stdout.trim();
    keys.consumer = (await cli(['orgs', 'create', 'Globex Retail', '-q'])).stdout.trim();
    expect(keys.publisher).toMatch(/^bzr_key_/);
    expect(keys.reviewer).toMatch(/^bzr_key_/);

    const whoami = await cli(['whoami', '--json'], 'reviewer');
    expect(whoami.json()).toMatchObject({
      kind: 'platform',
      role: 'reviewer',
      keyFrom: 'BAZAAR_API_KEY',
      urlFrom: 'config',
    });
    const publisher = await cli(['whoami'], 'publisher');
    expect(publisher.stdout).toMatch(/kind: +organisation\nrole: +admin\norganisation: +Acme Support Tools/);
  });

  it('init writes a valid agent; validate accepts it and names every problem of bad ones', async () => {
    const init = await cli([
      'init',
      'desk',
      '--yes',
      '--slug',
      'cli-desk',
      '--name',
      'CLI desk',
      '--category',
      'customer-support',
      '--description',
      'Answers questions about returned parcels',
      '--pricing',
      'usage_based',
      '--credential',
      'SHOP_API_KEY',
    ]);
    expect(init.code).toBe(0);
    expect((await cli(['init', 'desk', '--yes'])).code).toBe(1); // never overwrites
    await writeFile(join(work, 'desk', 'notes.log'), 'left out by .bazaarignore');

    // In a terminal, init asks; Enter takes each default.
    const asked = startCliInTerminal(['init', 'asked-agent'], {
      cwd: work,
      env: { XDG_CONFIG_HOME: config },
    });
    for (const question of [
      'Listing slug',
      'Listing name',
      'Category',
      'What does it do?',
      'Pricing',
      'Credentials it needs',
    ]) {
      await waitFor(async () => asked.screen().includes(question), `the question "${question}"`);
      asked.type('\r');
    }
    expect(await asked.exited).toBe(0);
    expect(JSON.parse(await readFile(join(work, 'asked-agent', 'bazaar.json'), 'utf8'))).toMatchObject({
      listing: { slug: 'asked-agent', name: 'Asked agent', category: 'general' },
      pricing: { model: 'free' },
      requiredCredentials: [],
    });

    const good = await cli(['validate', 'desk', '--json']);
    expect(good.code).toBe(0);
    expect(good.json()).toMatchObject({
      valid: true,
      listing: { slug: 'cli-desk' },
      files: ['bazaar.json', 'main.js'],
    });

    // A manifest.json without a listing (the agents/ examples), the listing given as options.
    const shipped = await cli([
      'validate',
      new URL('../../agents/refund-policy', import.meta.url).pathname,
      '--slug',
      'refund-policy',
      '--name',
      'Refund policy',
      '--category',
      'support',
      '--json',
    ]);
    expect(shipped.code).toBe(0);
    expect(shipped.json()).toMatchObject({
      listing: { slug: 'refund-policy' },
      files: ['main.js', 'manifest.json'],
    });

    const bad = join(work, 'bad');
    await cli(['init', 'bad', '--yes']);
    const manifest = JSON.parse(await readFile(join(bad, 'bazaar.json'), 'utf8'));
    await writeFile(
      join(bad, 'bazaar.json'),
      JSON.stringify({
        ...manifest,
        version: '1.0',
        pricing: { model: 'free', monthlyPrice: 5 },
        runtime: { kind: 'process', command: ['node', 'agent.js'] },
      }),
    );
    const invalid = await cli(['validate', 'bad']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toContain('version: must be a semantic version');
    expect(invalid.stderr).toContain('pricing.monthlyPrice: not allowed for free pricing');

    await writeFile(
      join(bad, 'bazaar.json'),
      JSON.stringify({ ...manifest, runtime: { kind: 'process', command: ['node', 'agent.js'] } }),
    );
    const noEntry = await cli(['validate', 'bad']);
    expect(noEntry.code).toBe(1);
    expect(noEntry.stderr).toContain('runtime.command: runs agent.js, which is not in');

    await writeFile(join(bad, 'bazaar.json'), JSON.stringify(manifest));
    await symlink('/etc/passwd', join(bad, 'passwd'));
    const link = await cli(['validate', 'bad']);
    expect(link.code).toBe(1);
    expect(link.stderr).toContain('passwd is a symbolic link');
  });

  it('publish --wait follows the review: published when the reviewer approves through the CLI', async () => {
    const publish = startCli(['publish', 'desk', '--wait'], {
      cwd: work,
      env: { XDG_CONFIG_HOME: config, BAZAAR_API_KEY: keys.publisher },
    });
    await waitFor(async () => publish.output().includes('submitted for review'), 'the submission', 30_000);
    const queue = await cli(['reviews', '--json'], 'reviewer');
    expect(queue.json()).toEqual([
      expect.objectContaining({ listing: expect.objectContaining({ slug: 'cli-desk' }) }),
    ]);
    const approve = await cli(
      ['review', 'approve', 'cli-desk@1.0.0', '--reason', 'clear and fair'],
      'reviewer',
    );
    expect(approve.code).toBe(0);
    expect(approve.stdout).toContain('cli-desk@1.0.0: published');
    const result = await publish.result;
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('cli-desk 1.0.0 is published.');
    for (const step of [
      'creating listing cli-desk',
      'created version 1.0.0',
      'uploaded the code',
      'review: published',
    ]) {
      expect(result.stderr).toContain(step);
    }

    const taken = await cli(['publish', 'desk'], 'consumer');
    expect(taken.code).toBe(3);
    expect(taken.stderr).toContain('the listing cli-desk belongs to another organisation');

    const again = await cli(['publish', 'desk'], 'publisher');
    expect(again.code).toBe(3);
    expect(again.stderr).toContain('version 1.0.0 of cli-desk already exists and is published');
  });

  it('publish --wait exits 1 when the reviewer rejects, and when the review outlasts --timeout', async () => {
    await setVersion('1.1.0');
    const publish = startCli(['publish', 'desk', '--wait', '--json'], {
      cwd: work,
      env: { XDG_CONFIG_HOME: config, BAZAAR_API_KEY: keys.publisher },
    });
    await waitFor(async () => publish.output().includes('submitted for review'), 'the submission', 30_000);
    expect((await cli(['review', 'reject', 'cli-desk@1.1.0'], 'reviewer')).code).toBe(2); // a reason is required
    expect(
      (await cli(['review', 'reject', 'cli-desk@1.1.0', '--reason', 'no changelog'], 'reviewer')).code,
    ).toBe(0);
    const rejected = await publish.result;
    expect(rejected.code).toBe(1);
    expect(rejected.json()).toMatchObject({
      listing: 'cli-desk',
      version: '1.1.0',
      phase: 'rejected',
      reason: 'no changelog',
    });

    await setVersion('1.2.0');
    const timedOut = await cli(['publish', 'desk', '--wait', '--timeout', '1'], 'publisher');
    expect(timedOut.code).toBe(1);
    expect(timedOut.stdout).toContain('still in review after 1 s');
  });

  it('search prints a table, and --json the results', async () => {
    const table = await cli(['search', 'questions about returned parcels'], 'consumer');
    expect(table.code).toBe(0);
    expect(table.stdout.split('\n')[0]).toMatch(/^SLUG +NAME +PRICING +RATING +SCORE$/);
    expect(table.stdout).toMatch(/cli-desk +CLI desk +usage_based/);
    const json = await cli(['search', 'questions about returned parcels', '--json'], 'consumer');
    expect(json.json()[0]).toMatchObject({ listing: { slug: 'cli-desk' }, score: expect.any(Number) });
  });

  it('install refuses without the credential (exit 3), and stores one typed at a hidden prompt', async () => {
    const refused = await cli(['install', 'cli-desk'], 'consumer');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain('missing credentials: SHOP_API_KEY');

    const secret = 'sk_typed_at_the_prompt_4711';
    const terminal = startCliInTerminal(['install', 'cli-desk'], {
      cwd: work,
      env: { XDG_CONFIG_HOME: config, BAZAAR_API_KEY: keys.consumer },
    });
    await waitFor(async () => terminal.screen().includes('(Y/n)'), 'the offer to store SHOP_API_KEY');
    terminal.type('\r');
    await waitFor(async () => terminal.screen().includes('SHOP_API_KEY (hidden)'), 'the hidden prompt');
    terminal.type(`${secret}\r`);
    expect(await terminal.exited).toBe(0);
    expect(terminal.screen()).toContain('stored SHOP_API_KEY');
    expect(terminal.screen()).toMatch(/Installed cli-desk 1\.0\.0: \S+ is active\./);
    expect(terminal.screen()).not.toContain(secret);

    const installations = await cli(['installations', '--json'], 'consumer');
    expect(installations.json()).toEqual([
      expect.objectContaining({ listingSlug: 'cli-desk', status: 'active' }),
    ]);
    installationId = installations.json()[0].id;
  });

  it('runs the agent with input from a file and from stdin, sync and async', async () => {
    await writeFile(join(work, 'question.json'), JSON.stringify({ text: 'where is my parcel' }));
    const fromFile = await cli(['run', 'cli-desk', '--input', 'question.json', '--json'], 'consumer');
    expect(fromFile.code).toBe(0);
    expect(fromFile.json()).toMatchObject({
      status: 'succeeded',
      output: {
        answer: 'You said: where is my parcel',
        words: 4,
        credentialsPresent: { SHOP_API_KEY: true },
      },
    });

    const fromStdin = await cli(
      ['run', installationId, '--input', '-', '--idempotency-key', 'ticket-1'],
      'consumer',
      {
        input: '{"text":"hello from stdin"}',
      },
    );
    expect(fromStdin.code).toBe(0);
    expect(JSON.parse(fromStdin.stdout)).toMatchObject({ answer: 'You said: hello from stdin' });
    expect(fromStdin.stderr).toMatch(/status: +succeeded/);

    const started = await cli(['run', 'cli-desk', '--async'], 'consumer');
    expect(started.code).toBe(0);
    const execution = await cli(['execution', started.stdout.trim(), '--wait', '--json'], 'consumer');
    expect(execution.json()).toMatchObject({ status: 'succeeded', installationId });
    const listed = await cli(['executions', 'cli-desk', '--json'], 'consumer');
    expect(listed.json().map((e: any) => e.id)).toEqual([
      started.stdout.trim(),
      fromStdin.stderr.match(/execution: +(\S+)/)![1],
      fromFile.json().id,
    ]);

    const usage = await cli(['usage', '--json'], 'consumer');
    expect(usage.json()).toEqual([expect.objectContaining({ listingSlug: 'cli-desk', invocations: 3 })]);
  });

  it('says what went wrong in one line, with the request id, and exits 1, 2 or 3', async () => {
    const missing = await cli(['show', 'no-such-agent', '--json'], 'consumer');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .+ \(404 not_found, request \S+\)\n$/);
    expect(missing.json().error).toMatchObject({
      status: 404,
      code: 'not_found',
      requestId: expect.any(String),
      exitCode: 1,
    });

    const forbidden = await cli(['reviews'], 'consumer');
    expect(forbidden.code).toBe(3);
    expect(forbidden.stderr).toContain('403 forbidden');

    expect((await cli(['run', 'cli-desk', '--input', '-'], 'consumer', { input: 'not json' })).code).toBe(2);
    expect((await cli(['search'], 'consumer')).code).toBe(2);
    expect(
      (await cli(['install', 'cli-desk', '--credential', 'SHOP_API_KEY=plain-value'], 'consumer')).code,
    ).toBe(2);
    const noKey = await cli(['whoami'], undefined, { env: { XDG_CONFIG_HOME: join(work, 'empty') } });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toContain('no API key');
    const unreachable = await cli(['whoami'], 'consumer', { env: { BAZAAR_URL: 'http://127.0.0.1:9' } });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain('cannot reach Bazaar at http://127.0.0.1:9');
  });

  it('upgrades an installation to the version a reviewer has since approved', async () => {
    expect(
      (await cli(['review', 'approve', 'cli-desk@1.2.0', '--reason', 'fine now'], 'reviewer')).code,
    ).toBe(0);
    const upgraded = await cli(['upgrade', 'cli-desk', '--json'], 'consumer');
    expect(upgraded.code).toBe(0);
    expect(upgraded.json()).toMatchObject({ id: installationId, version: '1.2.0', status: 'active' });
    // The advisory is shown before anything is done.
    expect(upgraded.stderr).toMatch(/→ 1\.2\.0: minor change, risk (low|medium)/);
    const nothing = await cli(['upgrade', installationId], 'consumer');
    expect(nothing.code).toBe(1);
    expect(nothing.stderr).toContain('cli-desk 1.2.0 is the newest version');
  });

  it('uninstalls', async () => {
    const removed = await cli(['uninstall', 'cli-desk', '--json'], 'consumer');
    expect(removed.code).toBe(0);
    expect(removed.json()).toMatchObject({ id: installationId, status: 'removed' });
  });
});
