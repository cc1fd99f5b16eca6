import { createRoute, z } from '@hono/zod-openapi';
import { isolationLevel } from '../../runtime/local/sandbox/isolation.js';
import type { ApiDeps } from '../env.js';
import { access, jsonResponse } from '../openapi.js';
import { createRouter } from '../router.js';

const dependencyStatus = z.enum(['ok', 'unreachable']);
const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    api: z.literal('ok'),
    database: dependencyStatus,
    temporal: dependencyStatus,
    agentIsolation: z
      .object({ level: z.enum(['namespaces', 'process']), description: z.string() })
      .openapi({ description: 'How local agent runs are isolated on this machine' }),
    agentRuntimes: z
      .array(z.enum(['process', 'container', 'remote']))
      .openapi({ description: 'The manifest runtime kinds this Bazaar can install and run' }),
  })
  .openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['health'],
  summary: 'API, database and Temporal reachability (no key needed)',
  ...access('public'),
  responses: {
    200: jsonResponse(healthSchema, 'All reachable'),
    503: jsonResponse(healthSchema, 'A dependency is unreachable'),
  },
});

async function reachable(check: () => Promise<unknown>, timeoutMs = 2000): Promise<'ok' | 'unreachable'> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error('timeout')), timeoutMs).unref(),
  );
  return Promise.race([check(), timeout]).then(
    () => 'ok' as const,
    () => 'unreachable' as const,
  );
}

const runtimeKinds = ['process', 'container', 'remote'] as const;

/** GET /health. */
export function healthRoutes(deps: ApiDeps) {
  return createRouter(deps).openapi(healthRoute, async (c) => {
    const [database, temporal] = await Promise.all([
      reachable(() => deps.db.query('SELECT 1')),
      reachable(() => deps.temporal.workflowService.getSystemInfo({})),
    ]);
    const status = database === 'ok' && temporal === 'ok' ? 'ok' : 'degraded';
    const { level, description } = await isolationLevel();
    return c.json(
      {
        status,
        api: 'ok' as const,
        database,
        temporal,
        agentIsolation: { level, description },
        agentRuntimes: runtimeKinds.filter((kind) => deps.runtime.supports(kind)),
      },
      status === 'ok' ? 200 : 503,
    );
  });
}
