import { swaggerUI } from '@hono/swagger-ui';
import { requestId } from 'hono/request-id';
import { AppError } from '../domain/errors.js';
import { serveConsole } from './console-static.js';
import type { ApiDeps } from './env.js';
import { errorResponse, handleError } from './errors.js';
import { authenticate } from './middleware/authenticate.js';
import { httpMetrics } from './middleware/http-metrics.js';
import { limitBodies } from './middleware/body-limits.js';
import { refuseUnstorableInput } from './middleware/refuse-unstorable-input.js';
import { throttleFailedAuth } from './middleware/throttle-failed-auth.js';
import { requestLogger } from './middleware/request-logger.js';
import { traceRequests } from './middleware/trace-requests.js';
import { documentCommonErrors } from './openapi.js';
import { createRouter } from './router.js';
import { advisoryRoutes } from './routes/advisories.js';
import { auditRoutes } from './routes/audit.js';
import { eventRoutes } from './routes/events.js';
import { billingRunRoutes } from './routes/billing-runs.js';
import { credentialRoutes } from './routes/credentials.js';
import { executionRoutes } from './routes/executions.js';
import { healthRoutes } from './routes/health.js';
import { installationRoutes } from './routes/installations.js';
import { invoiceRoutes } from './routes/invoices.js';
import { keyRoutes } from './routes/keys.js';
import { listingRoutes } from './routes/listings.js';
import { orgRoutes } from './routes/orgs.js';
import { payoutRoutes } from './routes/payouts.js';
import { ratingRoutes } from './routes/ratings.js';
import { reviewRoutes } from './routes/reviews.js';
import { searchRoutes } from './routes/search.js';
import { sessionRoutes, signInRoutes } from './routes/sessions.js';
import { signingSecretRoutes } from './routes/signing-secrets.js';
import { toolRoutes } from './routes/tools.js';
import { usageEventRoutes } from './routes/usage-events.js';
import { versionRoutes } from './routes/versions.js';
import { webhookRoutes } from './routes/webhooks.js';
import { workflowRoutes } from './routes/workflows.js';

/** Builds the Hono app: public health and docs, then every /v1 route behind API-key auth. */
export function createApp(deps: ApiDeps) {
  const app = createRouter(deps);
  // First, so that every answer is counted, whichever middleware gives it.
  app.use(httpMetrics(deps.metrics));
  // A server span per request (reads sampled), continuing a caller's W3C traceparent; active for all that follows.
  if (deps.config.tracing) app.use(traceRequests({ readsRatio: deps.config.tracing.readsRatio }));
  app.use(requestId());
  app.use(requestLogger(deps.logger));
  app.onError(handleError);
  app.notFound((c) =>
    errorResponse(c, new AppError('not_found', `no route for ${c.req.method} ${c.req.path}`)),
  );

  app.use(limitBodies());

  app.route('/', healthRoutes(deps));
  app.use('/v1/*', throttleFailedAuth({ perMinute: deps.config.authFailuresPerMinute }));
  // Input PostgreSQL cannot store is refused before any route, signing in included.
  app.use(refuseUnstorableInput());
  // Signing in is the one public /v1 route: it comes before authentication (a bad key still counts
  // towards the failed-authentication throttle).
  app.route('/', signInRoutes(deps));
  app.use('/v1/*', authenticate(deps.db, deps.apiKeys));
  // A change made through this process is seen by its next request at once, not only once
  // PostgreSQL's announcement (which every other process relies on) has arrived.
  app.use('/v1/*', async function forgetCachedPagesOnWrite(c, next) {
    await next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') {
      deps.catalogPages?.clear();
      deps.searchResults?.clear();
      deps.searchCards?.clear();
      deps.ownListings?.clear();
    }
  });
  for (const routes of [
    sessionRoutes,
    orgRoutes,
    keyRoutes,
    listingRoutes,
    versionRoutes,
    signingSecretRoutes,
    reviewRoutes,
    searchRoutes,
    workflowRoutes,
    credentialRoutes,
    installationRoutes,
    executionRoutes,
    usageEventRoutes,
    auditRoutes,
    eventRoutes,
    webhookRoutes,
    invoiceRoutes,
    payoutRoutes,
    billingRunRoutes,
    advisoryRoutes,
    ratingRoutes,
    toolRoutes,
  ]) {
    app.route('/', routes(deps));
  }

  documentCommonErrors(app.openAPIRegistry);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key: `Authorization: Bearer <key>`',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'Bazaar API',
      version: '1',
      description: 'Publish, review, discover, install, invoke and bill AI agents.',
    },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  // Last: the web console at / (its files, else index.html), for whatever the API does not answer.
  const consoleHandler = serveConsole({ dir: deps.config.console.dir });
  app.get('*', consoleHandler);
  return app;
}
