import { chmod, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createAdaptorServer } from '@hono/node-server';
import { answerClientErrors } from '../api/client-errors.js';
import type { Logger } from '../logger.js';

/**
 * Serves the gateway on a Unix socket, which local sandboxes get bind-mounted as their only way
 * out. Any stale socket of an earlier run is replaced; the socket is writable by every uid (agents
 * run as fresh unprivileged ones: the token, not the file mode, is what authorises a call). close()
 * stops serving and removes it.
 */
export async function serveGatewaySocket(
  app: { fetch: Parameters<typeof createAdaptorServer>[0]['fetch'] },
  options: { socketPath: string; logger: Logger },
): Promise<{ server: Server; close: () => Promise<void> }> {
  await rm(options.socketPath, { force: true });
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  answerClientErrors(server, options.logger);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  await chmod(options.socketPath, 0o666);
  return {
    server,
    close: async () => {
      await new Promise((done) => server.close(done));
      await rm(options.socketPath, { force: true });
    },
  };
}
