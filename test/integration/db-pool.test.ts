// The connection pool on real PostgreSQL: an idle connection the server ends is logged and replaced,
// and does not take the process down.
import pg from 'pg';
import { afterAll, expect, inject, it } from 'vitest';
import { createPool } from '../../src/db/pool.js';
import { createLogger } from '../../src/logger.js';
import { waitFor } from '../support/wait-for.js';

const logs: string[] = [];
const db = createPool(
  inject('databaseUrl'),
  createLogger('warn', { write: (line: string) => logs.push(line) }),
);
afterAll(() => db.end());

it('survives the server ending an idle connection, and answers on a new one', async () => {
  const idle = await db.connect();
  const { rows } = await idle.query('SELECT pg_backend_pid() AS pid');
  idle.release();

  const admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  await admin.query('SELECT pg_terminate_backend($1)', [rows[0].pid]);
  await admin.end();

  await waitFor(
    async () => logs.some((line) => line.includes('idle PostgreSQL connection closed by the server')),
    'the warning',
  );
  const again = await db.query('SELECT pg_backend_pid() AS pid');
  expect(again.rows[0].pid).not.toBe(rows[0].pid);
});
