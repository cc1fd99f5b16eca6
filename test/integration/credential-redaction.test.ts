import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installAgent } from '../support/agents.js';
import { packDirectory } from '../support/artifacts.js';
import { startHarness, type Harness } from '../support/harness.js';
import { publishAgent } from '../support/publish.js';
import { secretLeaks, storedAboutRun } from '../support/secret-leaks.js';

const credentialEcho = packDirectory(
  join(new URL('../fixtures/agents/credential-echo', import.meta.url).pathname),
);

// A process agent that prints its credential (test/fixtures/agents/credential-echo): whatever it
// prints, the run's stored and returned records, its workflow history and the logs hold none of it.
describe('credential redaction: a local process agent that echoes its credential', () => {
  let h: Harness;
  let consumer: { org: { id: string }; token: string };
  let installationId: string;
  // Random first, then characters that make base64, base64url and URL-encoding all differ from it.
  const value = `${randomUUID()}>>>???&scope=all orders`;

  beforeAll(async () => {
    h = await startHarness({ captureLogs: true });
    const publisher = await h.createOrg('echoing publisher');
    const listing = await publishAgent(h, {
      publisherToken: publisher.token,
      reviewerToken: await h.createPlatformKey('reviewer'),
      artifact: credentialEcho,
      manifest: {
        requiredCredentials: [{ name: 'SHOP_API_KEY', description: 'read orders' }],
        runtime: { kind: 'process', command: ['node', 'main.mjs'] },
      },
    });
    consumer = await h.createOrg('echoing consumer');
    const put = await h.request('PUT', '/v1/credentials/SHOP_API_KEY', {
      token: consumer.token,
      body: { value },
    });
    expect(put.status).toBe(204);
    ({ installationId } = await installAgent(h, listing.slug, { consumer }));
  }, 120_000);
  afterAll(() => h?.stop());

  it.each([
    ['json', 'succeeded'],
    ['prose', 'failed'],
    ['cut', 'failed'],
    ['bare', 'failed'],
    ['crash', 'failed'],
  ])(
    'mode %s: the execution, the workflow status and history, the database row and the logs hold no form of it',
    async (mode, status) => {
      const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
        token: consumer.token,
        body: { input: { mode }, mode: 'sync' },
      });
      expect(run.status).toBe(200);
      expect(run.body.status).toBe(status);
      const executionId = run.body.id as string;
      const stored = await storedAboutRun(h, { runAnswer: run.body, executionId, token: consumer.token });
      expect(JSON.parse(stored.workflow)).toMatchObject({ status: 'COMPLETED', result: { status } });
      expect(stored.history).toContain(executionId);
      const row = await h.db.query('SELECT to_jsonb(e)::text AS row FROM executions e WHERE id = $1', [
        executionId,
      ]);
      const places = { ...stored, row: row.rows[0].row as string, logs: h.logs.join('\n') };
      const leaks = Object.entries(places).map(([place, text]) => [place, secretLeaks(text, value)]);
      expect(Object.fromEntries(leaks)).toEqual(Object.fromEntries(leaks.map(([place]) => [place, []])));
      expect(places.execution).toContain('[redacted:SHOP_API_KEY]');
      expect(places.logs).toContain(executionId); // the logs were captured: their check can fail
    },
  );

  it('still answers the agent output around the redacted values', async () => {
    const run = await h.request('POST', `/v1/installations/${installationId}/executions`, {
      token: consumer.token,
      body: { input: { mode: 'json' }, mode: 'sync' },
    });
    expect(run.body.output).toEqual({
      forms: {
        raw: '[redacted:SHOP_API_KEY]',
        base64: '[redacted:SHOP_API_KEY]',
        base64url: '[redacted:SHOP_API_KEY]',
        url: '[redacted:SHOP_API_KEY]',
      },
      keyed: { '[redacted:SHOP_API_KEY]': 'the key as a key' },
      list: ['[redacted:SHOP_API_KEY]'],
    });
  });
});
