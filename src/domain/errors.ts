/** Every error code the API can answer with, mapped to its HTTP status in one place. */
export const errorStatus = {
  invalid_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  rule_violation: 422,
  rate_limited: 429,
  internal: 500,
  bad_gateway: 502,
  unavailable: 503,
} as const;

/** A stable, user-facing error code. */
export type ErrorCode = keyof typeof errorStatus;

/** An error meant for the caller: a stable code, a human message and optional structured details. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** The answer for a missing object and for another tenant's object alike. */
export function notFound(what: string): AppError {
  return new AppError('not_found', `${what} not found`);
}

/** The answer when the caller's role may not do this. */
export function forbidden(message = 'your key does not have the role this action needs'): AppError {
  return new AppError('forbidden', message);
}

/** The answer when the request conflicts with the current state. */
export function conflict(message: string, details?: unknown): AppError {
  return new AppError('conflict', message, details);
}

/** True for PostgreSQL's unique_violation, optionally on one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const pgError = error as { code?: string; constraint?: string };
  return pgError.code === '23505' && (constraint === undefined || pgError.constraint === constraint);
}
