import { Client, Connection } from '@temporalio/client';

/** Opens the API's Temporal client. */
export async function createTemporalClient(input: { address: string; namespace: string }): Promise<Client> {
  const connection = await Connection.connect({ address: input.address });
  return new Client({ connection, namespace: input.namespace });
}
