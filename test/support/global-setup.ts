// Once per test run: a Temporal dev server (in memory, on free ports) and a fresh PostgreSQL
// database with migrations applied, so runs never collide. Both are torn down at the end.
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { ensureDatabase, migrate } from '../../src/db/migrate.js';
import { createLogger } from '../../src/logger.js';
import { startDevServer } from '../../src/temporal/dev-server.js';
import { ensureSearchAttributes } from '../../src/temporal/search-attributes.js';
import { freePort } from './free-port.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalAddress: string;
    temporalCliPath: string;
  }
}

export default async function setup(project: TestProject) {
  const logger = createLogger('warn');
  const cliPath = process.env.TEMPORAL_CLI_PATH ?? join(homedir(), '.cache/bazaar/temporal-v1.5.1/temporal');
  const server = await startDevServer({ cliPath, port: await freePort(), namespace: 'default', logger });
  const connection = await Connection.connect({ address: server.address });
  await ensureSearchAttributes(connection, 'default');
  await connection.close();

  const adminUrl = new URL(
    process.env.BAZAAR_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  );
  const databaseName = `bazaar_test_${Date.now()}_${process.pid}`;
  const databaseUrl = new URL(adminUrl);
  databaseUrl.pathname = `/${databaseName}`;
  await ensureDatabase(databaseUrl.toString());
  await migrate(databaseUrl.toString());

  project.provide('databaseUrl', databaseUrl.toString());
  project.provide('temporalAddress', server.address);
  project.provide('temporalCliPath', cliPath);

  return async () => {
    await server.stop();
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(databaseName)} WITH (FORCE)`);
    await admin.end();
  };
}
