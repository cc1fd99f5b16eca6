import { Client, Connection } from '@temporalio/client';

/** How to reach Temporal: its frontend address and, for Temporal Cloud, an API key (TLS then on). */
export interface TemporalEndpoint {
  address: string;
  apiKey?: string;
}

/** Connection options shared by the client and the worker: TLS whenever an API key is sent. */
export function connectionOptions({ address, apiKey }: TemporalEndpoint) {
  return apiKey ? { address, apiKey, tls: true } : { address };
}

/** Opens the API's Temporal client, returning its connection too (for operator calls and closing). */
export async function createTemporalClient(input: TemporalEndpoint & { namespace: string }) {
  const connection = await Connection.connect(connectionOptions(input));
  return { connection, client: new Client({ connection, namespace: input.namespace }) };
}
