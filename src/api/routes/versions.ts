import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { TypedSearchAttributes } from '@temporalio/common';
import { withTransaction } from '../../db/pool.js';
import { findArtifactInfo, storeArtifact } from '../../domain/catalog/artifacts.js';
import { ArtifactError } from '../../runtime/artifacts/artifact-error.js';
import { inspectArtifact } from '../../runtime/artifacts/inspect-artifact.js';
import { recordAudit } from '../../domain/audit/repository.js';
import { requireOrg, requireRole, type Principal } from '../../domain/auth/principal.js';
import {
  createVersion,
  findListing,
  findListingForCaller,
  findVersion,
  refreshLatestVersion,
  transitionVersion,
  updateDraftVersion,
  type Listing,
} from '../../domain/catalog/repository.js';
import { manifestSchema, type VersionStatus } from '../../domain/catalog/schemas.js';
import { assertTransition } from '../../domain/catalog/version-status.js';
import { AppError, conflict, notFound } from '../../domain/errors.js';
import { recordWorkflowOwner } from '../../domain/workflows/repository.js';
import { listingIdKey, listingSlugKey, publisherOrgKey } from '../../temporal/search-attributes.js';
import { publishReview } from '../../workflows/publish-review.js';
import type { ApiDeps } from '../env.js';
import { bearerAuth, errorResponses, jsonBody, jsonResponse } from '../openapi.js';
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
  security: bearerAuth,
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
  security: bearerAuth,
  request: { params: versionParamsSchema, ...jsonBody(manifestSchema) },
  responses: { 200: jsonResponse(versionSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 409) },
});

const getVersionRoute = createRoute({
  method: 'get',
  path: '/v1/listings/{id}/versions/{version}',
  tags: ['versions'],
  summary: 'One version (publisher: any status; others: published or deprecated)',
  security: bearerAuth,
  request: { params: versionParamsSchema },
  responses: { 200: jsonResponse(versionSchema, 'The version'), ...errorResponses(401, 404) },
});

const submitRoute = createRoute({
  method: 'post',
  path: '/v1/listings/{id}/versions/{version}/submit',
  tags: ['versions'],
  summary: 'Submit a draft for review: starts publish:<versionId> (safe to repeat)',
  security: bearerAuth,
  request: { params: versionParamsSchema },
  responses: {
    202: jsonResponse(workflowAcceptedSchema, 'Review started'),
    ...errorResponses(401, 403, 404, 409, 422),
  },
});

const reasonBody = z.object({ reason: z.string().trim().min(1).max(2000).optional() });

const lifecycleRoute = (action: 'deprecate' | 'suspend') =>
  createRoute({
    method: 'post',
    path: `/v1/listings/{id}/versions/{version}/${action}`,
    tags: ['versions'],
    summary:
      action === 'deprecate'
        ? 'Deprecate a published version (publisher)'
        : 'Suspend a version (platform-admin)',
    security: bearerAuth,
    request: {
      params: versionParamsSchema,
      body: { required: false, content: { 'application/json': { schema: reasonBody } } },
    },
    responses: { 200: jsonResponse(versionSchema, 'Updated'), ...errorResponses(400, 401, 403, 404, 409) },
  });

const artifactRoute = createRoute({
  method: 'put',
  path: '/v1/listings/{id}/versions/{version}/artifact',
  tags: ['versions'],
  summary: 'Upload the agent code (tar.gz) of a draft process version; its sha256 is recorded (publisher)',
  security: bearerAuth,
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

/** Loads a listing the caller publishes; 404 when it is missing or another organisation's. */
async function findPublishedBy(deps: ApiDeps, principal: Principal, idOrSlug: string): Promise<Listing> {
  const owner = requireOrg(principal);
  const listing = await findListing(deps.db, idOrSlug);
  if (!listing || listing.orgId !== owner.orgId) throw notFound('listing');
  return listing;
}

async function findVersionOf(deps: ApiDeps, listing: Listing, version: string) {
  const found = await findVersion(deps.db, listing.id, version);
  if (!found) throw notFound('version');
  return found;
}

/** Versions of a listing: create, edit drafts, read, submit for review, deprecate, suspend. */
export function versionRoutes(deps: ApiDeps) {
  async function changeLifecycle(
    principal: Principal,
    listing: Listing,
    version: string,
    to: VersionStatus,
    reason?: string,
  ) {
    const current = await findVersionOf(deps, listing, version);
    assertTransition(current.status, to);
    return withTransaction(deps.db, async (tx) => {
      const moved = await transitionVersion(tx, {
        versionId: current.id,
        from: [current.status],
        to,
        reason,
      });
      if (!moved) throw conflict('the version changed meanwhile; reload and retry');
      await refreshLatestVersion(tx, listing.id);
      await recordAudit(tx, {
        orgId: listing.orgId,
        actor: principal,
        action: `version.${to}`,
        subjectType: 'version',
        subjectId: current.id,
        reason,
      });
      return moved;
    });
  }

  return createRouter()
    .openapi(createVersionRoute, async (c) => {
      const principal = c.get('principal');
      const listing = await findPublishedBy(deps, principal, c.req.valid('param').id);
      const version = await withTransaction(deps.db, async (tx) => {
        const created = await createVersion(tx, listing.id, c.req.valid('json'));
        await recordAudit(tx, {
          orgId: listing.orgId,
          actor: principal,
          action: 'version.created',
          subjectType: 'version',
          subjectId: created.id,
        });
        return created;
      });
      return c.json(version, 201);
    })
    .openapi(updateVersionRoute, async (c) => {
      const params = c.req.valid('param');
      const manifest = c.req.valid('json');
      const listing = await findPublishedBy(deps, c.get('principal'), params.id);
      const current = await findVersionOf(deps, listing, params.version);
      if (manifest.version !== params.version) {
        throw new AppError('invalid_request', 'the manifest version must match the version in the path', [
          { path: 'json.version', message: `must be ${params.version}` },
        ]);
      }
      return c.json(await updateDraftVersion(deps.db, current.id, manifest), 200);
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
      const listing = await findPublishedBy(deps, c.get('principal'), params.id);
      const version = await findVersionOf(deps, listing, params.version);
      if (version.status !== 'draft' && version.status !== 'in_review') {
        throw conflict(`version ${version.version} is ${version.status}; only a draft can be submitted`);
      }
      // A process agent is its code: without it, review would approve something that cannot run.
      if (
        version.status === 'draft' &&
        version.manifest.runtime.kind === 'process' &&
        !(await findArtifactInfo(deps.db, version.id))
      ) {
        throw new AppError(
          'rule_violation',
          `version ${version.version} runs as a process but has no code: upload its artifact with PUT /v1/listings/${listing.slug}/versions/${version.version}/artifact, then submit`,
        );
      }
      const workflowId = `publish:${version.id}`;
      await recordWorkflowOwner(deps.db, { workflowId, orgId: listing.orgId, kind: 'publish-review' });
      // Submitting makes the version immutable at once; the workflow takes it from in_review.
      const submittedNow =
        version.status === 'draft' &&
        (await transitionVersion(deps.db, { versionId: version.id, from: ['draft'], to: 'in_review' })) !==
          null;
      try {
        await deps.temporal.workflow.start(publishReview, {
          workflowId,
          taskQueue: deps.config.temporal.taskQueue,
          args: [
            {
              versionId: version.id,
              listingId: listing.id,
              reviewTimeoutSeconds: deps.config.reviewTimeoutSeconds,
            },
          ],
          typedSearchAttributes: new TypedSearchAttributes([
            { key: publisherOrgKey, value: listing.orgId },
            { key: listingIdKey, value: listing.id },
            { key: listingSlugKey, value: listing.slug },
          ]),
        });
      } catch (error) {
        // Submitting twice is safe: the running review is the answer.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) {
          if (submittedNow)
            await transitionVersion(deps.db, {
              versionId: version.id,
              from: ['in_review'],
              to: 'draft',
              reason: 'the review could not be started; submit again',
            });
          throw error;
        }
      }
      c.get('logger').info({ workflowId }, 'publish-review started');
      return c.json({ workflowId }, 202);
    })
    .openapi(artifactRoute, async (c) => {
      const params = c.req.valid('param');
      const listing = await findPublishedBy(deps, c.get('principal'), params.id);
      const version = await findVersionOf(deps, listing, params.version);
      if (version.status !== 'draft')
        throw conflict('the artifact is immutable once the version is submitted');
      if (version.manifest.runtime.kind !== 'process') {
        throw new AppError(
          'rule_violation',
          `a ${version.manifest.runtime.kind} version runs no uploaded code`,
        );
      }
      const archive = new Uint8Array(await c.req.arrayBuffer());
      if (archive.byteLength === 0)
        throw new AppError('invalid_request', 'send the tar.gz as the request body');
      let sha256: string;
      try {
        ({ sha256 } = await inspectArtifact(archive));
      } catch (error) {
        if (error instanceof ArtifactError)
          throw new AppError('invalid_request', error.message, { entry: error.entry, reason: error.code });
        throw error;
      }
      const stored = await withTransaction(deps.db, async (tx) => {
        const info = await storeArtifact(tx, { versionId: version.id, sha256, content: archive });
        await recordAudit(tx, {
          orgId: listing.orgId,
          actor: c.get('principal'),
          action: 'version.artifact_uploaded',
          subjectType: 'version',
          subjectId: version.id,
          details: { sha256, sizeBytes: archive.byteLength },
        });
        return info;
      });
      return c.json(stored, 200);
    })
    .openapi(lifecycleRoute('deprecate'), async (c) => {
      const params = c.req.valid('param');
      const principal = c.get('principal');
      const listing = await findPublishedBy(deps, principal, params.id);
      return c.json(
        await changeLifecycle(principal, listing, params.version, 'deprecated', c.req.valid('json')?.reason),
        200,
      );
    })
    .openapi(lifecycleRoute('suspend'), async (c) => {
      const params = c.req.valid('param');
      const principal = c.get('principal');
      requireRole(principal, 'platform-admin');
      const listing = await findListing(deps.db, params.id);
      if (!listing) throw notFound('listing');
      return c.json(
        await changeLifecycle(principal, listing, params.version, 'suspended', c.req.valid('json')?.reason),
        200,
      );
    });
}
