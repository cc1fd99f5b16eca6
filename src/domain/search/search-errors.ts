/** Stable codes of the ways a search request can be refused. */
export type SearchInputErrorCode = 'invalid_query' | 'invalid_cursor';

/** A search request the caller must fix; the API maps it to a 400 with `details`. */
export class SearchInputError extends Error {
  constructor(
    readonly code: SearchInputErrorCode,
    message: string,
    readonly details: { path: string; message: string }[] = [],
  ) {
    super(message);
    this.name = 'SearchInputError';
  }
}
