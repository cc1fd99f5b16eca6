import pg from 'pg';
import type { Logger } from '../logger.js';

/** The shared PostgreSQL connection pool every repository takes. */
export type Db = pg.Pool;
/** A pool or a client inside a transaction: what repository functions accept. */
export type Queryable = pg.Pool | pg.PoolClient;

/** Opens a connection pool on the given URL. */
export function createPool(databaseUrl: string, logger: Logger, max = 10): Db {
  const pool = new pg.Pool({ connectionString: databaseUrl, max });
  // An idle connection the server ends (a restart, a terminated backend, a dropped database) is only
  // dropped from the pool; unhandled, its error would end the process.
  pool.on('error', (error) => logger.warn({ err: error }, 'idle PostgreSQL connection closed by the server'));
  return pool;
}

/** Runs fn inside one transaction, committing on success and rolling back on any error. */
export async function withTransaction<T>(db: Db, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}
