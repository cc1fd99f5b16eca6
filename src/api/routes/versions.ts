import { createRoute, z } from '@hono/zod-openapi';
import { findListingForCaller } from '../../domain/catalog/repository.js';
import { manifestSchema } from '../../domain/catalog/schemas.js';
import { notFound } from '../../domain/errors.js';
import { changeVersionStatus } from '../../services/change-version-status.js';
import { deprecateVersion } from '../../services/deprecate-version.js';
import { createVersion } from '../../services/create-version.js';
import { editDraftVersion } from '../../services/edit-draft-version.js';
import { submitVersion } from '../../services/submit-version.js';
import { uploadArtifact } from '../../services/upload-artifact.js';
import { versionImpact, versionImpactSchema } from '../../services/version-impact.js';
import { yankVersion } from '../../services/yank-version.js';
import type { ApiDeps } from '../env.js';
import { errorResponses, jsonBody, jsonResponse, access } from '../openapi.js';
import { withRequestTrace } from '../middleware/trace-requests.js';
import { createRouter } from '../router.js';
import {
  listingParamsSchema,
  versionParamsSchema,
  versionSchema,
  workflowAcceptedSchema,
} from '../schemas.js';

const createVersionRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/versions',
  tags: ['versions'],
  summary: 'Add a draft version from a manifest (publisher)',
  ...access('publisher-of-listing'),
  request: { params: listingParamsSchema, ...jsonBody(manifestSchema) },
  responses: {
    201: jsonResponse(versionSchema, 'Created as draft'),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const updateVersionRoute = createRoute({
  method: 'put',
  path: '/v1/listings/{id}/versions/{version}',
  tags: ['versions'],
  summary: 'Replace a draft version’s manifest (publisher); 409 once submitted',
  ...access('publisher-of-listing'),
  request: { params: versionParamsSchema, ...jsonBody(manifestSchema) },
  responses: { 200: jsonResponse(versionSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 409) },
});

const getVersionRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}/versions/{version}',
  tags: ['versions'],
  summary: 'One version (publisher: any status; others: published or deprecated)',
  ...access('any-key'),
  request: { params: versionParamsSchema },
  responses: { 200: jsonResponse(versionSchema, 'The version'), ...errorResponses(401, 404) },
});

const submitRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/versions/{version}/submit',
  tags: ['versions'],
  summary: 'Submit a draft for review: starts publish:<versionId> (safe to repeat)',
  ...access('publisher-of-listing'),
  request: { params: versionParamsSchema },
  responses: {
    202: jsonResponse(workflowAcceptedSchema, 'Review started'),
    ...errorResponses(401, 403, 404, 409, 422),
  },
});

const reasonBody = z.object({ reason: z.string().trim().min(1).max(2000).optional() });

const deprecateRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/versions/{version}/deprecate',
  tags: ['versions'],
  summary:
    'Deprecate a published version (publisher): it keeps running for installations pinned to it, is no longer installable and leaves search; answers with its impact',
  ...access('publisher-of-listing'),
  request: {
    params: versionParamsSchema,
    body: { required: false, content: { 'application/json': { schema: reasonBody } } },
  },
  responses: {
    200: jsonResponse(versionSchema.extend({ impact: versionImpactSchema }), 'Deprecated'),
    ...errorResponses(400, 401, 403, 404, 409),
  },
});

const suspendRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/versions/{version}/suspend',
  tags: ['versions'],
  summary: 'Suspend a version (platform-admin)',
  ...access('platform-admin'),
  request: {
    params: versionParamsSchema,
    body: { required: false, content: { 'application/json': { schema: reasonBody } } },
  },
  responses: { 200: jsonResponse(versionSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 409) },
});

const yankRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/versions/{version}/yank',
  tags: ['versions'],
  summary:
    'Withdraw a version (status suspended: not installable, out of search): a platform admin at any time, its publisher only while no installation runs it (422)',
  ...access(['publisher-of-listing', 'platform-admin']),
  request: {
    params: versionParamsSchema,
    body: { required: false, content: { 'application/json': { schema: reasonBody } } },
  },
  responses: { 200: jsonResponse(versionSchema, 'Yanked'), ...errorResponses(400, 401, 403, 404, 409, 422) },
});

const impactRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}/versions/{version}/impact',
  tags: ['versions'],
  summary:
    'How many installations run this version and which published versions they could move to, each with its advisory risk (publisher)',
  ...access('publisher-of-listing'),
  request: { params: versionParamsSchema },
  responses: {
    200: jsonResponse(versionImpactSchema, 'The impact'),
    ...errorResponses(401, 403, 404),
  },
});

const artifactRoute = createRoute({
  method: 'put',
  path: '/v1/listings/{id}/versions/{version}/artifact',
  tags: ['versions'],
  summary: 'Upload the agent code (tar.gz) of a draft process version; its sha256 is recorded (publisher)',
  ...access('publisher-of-listing'),
  request: {
    params: versionParamsSchema,
    body: {
      required: true,
      content: { 'application/gzip': { schema: z.string().openapi({ type: 'string', format: 'binary' }) } },
    },
  },
  responses: {
    200: jsonResponse(
      z.object({
        versionId: z.uuid(),
        sha256: z.string(),
        sizeBytes: z.number().int(),
        uploadedAt: z.iso.datetime(),
      }),
      'Stored',
    ),
    ...errorResponses(400, 401, 403, 404, 409, 422),
  },
});

/** Versions of a listing: create, edit drafts, read, submit for review, deprecate (with impact), suspend, yank. */
export function versionRoutes(deps: ApiDeps) {
  return createRouter(deps)
    .openapi(createVersionRoute, async (c) => {
      const input = { listing: c.req.valid('param').id, manifest: c.req.valid('json') };
      return c.json(await createVersion(deps, c.get('principal'), input), 201);
    })
    .openapi(updateVersionRoute, async (c) => {
      const params = c.req.valid('param');
      const input = { listing: params.id, version: params.version, manifest: c.req.valid('json') };
      return c.json(await editDraftVersion(deps, input), 200);
    })
    .openapi(getVersionRoute, async (c) => {
      const params = c.req.valid('param');
      const found = await findListingForCaller(deps.db, params.id, c.get('principal'));
      const version = found?.versions.find((v) => v.version === params.version);
      if (!version) throw notFound('version');
      return c.json(version, 200);
    })
    .openapi(submitRoute, async (c) => {
      const params = c.req.valid('param');
      const input = { listing: params.id, version: params.version };
      return c.json(await submitVersion(withRequestTrace(c, deps), c.get('principal'), input), 202);
    })
    .openapi(artifactRoute, async (c) => {
      const params = c.req.valid('param');
      const archive = new Uint8Array(await c.req.arrayBuffer());
      const input = { listing: params.id, version: params.version, archive };
      return c.json(await uploadArtifact(deps, c.get('principal'), input), 200);
    })
    .openapi(deprecateRoute, async (c) => {
      const params = c.req.valid('param');
      const input = { listing: params.id, version: params.version, reason: c.req.valid('json')?.reason };
      return c.json(await deprecateVersion(deps, c.get('principal'), input), 200);
    })
    .openapi(suspendRoute, async (c) => {
      const params = c.req.valid('param');
      const input = { listing: params.id, version: params.version, reason: c.req.valid('json')?.reason };
      return c.json(await changeVersionStatus(deps, c.get('principal'), { ...input, to: 'suspended' }), 200);
    })
    .openapi(yankRoute, async (c) => {
      const params = c.req.valid('param');
      const input = { listing: params.id, version: params.version, reason: c.req.valid('json')?.reason };
      return c.json(await yankVersion(deps, c.get('principal'), input), 200);
    })
    .openapi(impactRoute, async (c) => {
      const params = c.req.valid('param');
      return c.json(await versionImpact(deps, { listing: params.id, version: params.version }), 200);
    });
}
