import pg from 'pg';

/** The shared PostgreSQL connection pool every repository takes. */
export type Db = pg.Pool;
/** A pool or a client inside a transaction: what repository functions accept. */
export type Queryable = pg.Pool | pg.PoolClient;

/** Opens a connection pool on the given URL. */
export function createPool(databaseUrl: string, max = 10): Db {
  return new pg.Pool({ connectionString: databaseUrl, max });
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
