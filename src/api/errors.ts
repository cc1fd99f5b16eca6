import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ZodError } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { SecretStoreError } from '../adapters/secrets/secret-store.js';
import { AppError, errorStatus, notFound, type ErrorCode } from '../domain/errors.js';
import { SearchInputError } from '../domain/search/search-errors.js';
import { ArtifactError } from '../runtime/artifacts/artifact-error.js';
import type { AppEnv } from './env.js';
import { requestLogFields } from './middleware/request-logger.js';

/** The one error shape every failed request answers with. */
export const errorResponseSchema = z
  .object({
    error: z.object({
      code: z.enum(Object.keys(errorStatus) as [ErrorCode, ...ErrorCode[]]),
      message: z.string(),
      requestId: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .openapi('Error');

/** One refused field: its path (`json.input.a`, `param.id`, `query.q`) and the problem. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A 400 listing each field path and its problem. */
export function invalidRequest(details: FieldProblem[]): AppError {
  const summary = details.map((d) => `${d.path}: ${d.message}`).join('; ');
  return new AppError('invalid_request', `invalid request: ${summary}`, details);
}

/** Turns a zod error into a 400 listing each field path and its problem. */
export function validationError(error: ZodError, where: string): AppError {
  return invalidRequest(
    error.issues.map((issue) => ({
      path: [where, ...issue.path.map(String)].join('.'),
      message: issue.message,
    })),
  );
}

/** Answers with the error shape. */
export function errorResponse(c: Context<AppEnv>, error: AppError): Response {
  const body = {
    error: {
      code: error.code,
      message: error.message,
      requestId: c.get('requestId') ?? 'unknown',
      details: error.details,
    },
  };
  return c.json(body, errorStatus[error.code] as ContentfulStatusCode);
}

/**
 * Errors of the domain and its adapters that the caller can act on, each mapped to the API's error
 * shape in this one place; routes and use cases let them through.
 */
const domainErrors: ((error: Error) => AppError | null)[] = [
  (error) =>
    error instanceof SecretStoreError && error.kind === 'unavailable'
      ? new AppError('unavailable', 'the secret store is unavailable; try again shortly')
      : null,
  (error) =>
    error instanceof ArtifactError
      ? new AppError('invalid_request', error.message, { entry: error.entry, reason: error.code })
      : null,
  (error) =>
    error instanceof SearchInputError ? new AppError('invalid_request', error.message, error.details) : null,
  (error) => (error instanceof WorkflowNotFoundError ? notFound('workflow') : null),
];

// Hono's own HTTPExceptions (from its middleware and validators) by status; any other 4xx is invalid input.
const httpExceptionCodes: Partial<Record<number, ErrorCode>> = {
  401: 'unauthorized',
  404: 'not_found',
  413: 'payload_too_large',
};

/** The app's onError: known errors keep their code; anything else is logged and becomes a bare 500. */
export function handleError(error: Error, c: Context<AppEnv>): Response {
  if (error instanceof AppError) return errorResponse(c, error);
  for (const translate of domainErrors) {
    const translated = translate(error);
    if (translated) return errorResponse(c, translated);
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = httpExceptionCodes[error.status] ?? 'invalid_request';
    return errorResponse(c, new AppError(code, error.message || 'invalid request'));
  }
  (c.get('logger') ?? console).error({ err: error, ...requestLogFields(c) }, 'unhandled error');
  return errorResponse(c, new AppError('internal', 'internal error; quote the request id when reporting it'));
}
