import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import type { Logger } from '../logger.js';
import { answerClientErrors } from './client-errors.js';

/** Serves the API app over HTTP on the given port; resolves once it listens, rejects if it cannot. */
export function listen(
  app: { fetch: Parameters<typeof createAdaptorServer>[0]['fetch'] },
  options: { port: number; hostname?: string; logger: Logger },
): Promise<Server> {
  // No createServer option: @hono/node-server builds a node:http server.
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  answerClientErrors(server, options.logger);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.hostname, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
