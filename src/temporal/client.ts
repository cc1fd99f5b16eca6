import { Client, Connection } from '@temporalio/client';

/** Opens the API's Temporal client, returning its connection too (for operator calls and closing). */
export async function createTemporalClient(input: { address: string; namespace: string }) {
  const connection = await Connection.connect({ address: input.address });
  return { connection, client: new Client({ connection, namespace: input.namespace }) };
}
