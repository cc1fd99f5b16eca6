import { z } from 'zod';
import { pricingModelSchema } from '../catalog/schemas.js';
import { SearchInputError } from './search-errors.js';

/** Longest query accepted, in characters after normalisation: intent fits in a sentence or two. */
export const MAX_QUERY_LENGTH = 200;
/** Page size bounds for GET /v1/search. */
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 50;
const MAX_TAG_FILTERS = 10;

/** Collapses whitespace and unicode variants so equal queries share cache entries and cursors. */
export function normalizeQueryText(raw: string): string {
  return raw.normalize('NFKC').replace(/\s+/g, ' ').trim();
}

const tagListSchema = z
  .union([z.string(), z.array(z.string())])
  .transform((value) => (Array.isArray(value) ? value : value.split(',')))
  .transform((tags) => [...new Set(tags.map((tag) => tag.trim().toLowerCase()).filter(Boolean))])
  .pipe(z.array(z.string().max(50)).max(MAX_TAG_FILTERS));

/** Query parameters of GET /v1/search, as the API receives them (strings) and the domain uses them. */
export const searchQuerySchema = z.object({
  q: z
    .string({ error: 'q is required' })
    .transform(normalizeQueryText)
    .pipe(
      z
        .string()
        .min(1, 'q must not be empty')
        .max(MAX_QUERY_LENGTH, `q must be at most ${MAX_QUERY_LENGTH} characters`),
    ),
  category: z.string().trim().min(1).max(100).optional(),
  pricingModel: pricingModelSchema.optional(),
  tags: tagListSchema.optional(),
  minRating: z.coerce.number().min(0).max(5).optional(),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(DEFAULT_PAGE_SIZE),
  cursor: z.string().min(1).max(500).optional(),
});
/** A validated, normalised search request. */
export type SearchQuery = z.infer<typeof searchQuerySchema>;

/** Validates raw query parameters, throwing a SearchInputError that lists each bad field. */
export function parseSearchQuery(input: unknown): SearchQuery {
  const parsed = searchQuerySchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const details = parsed.error.issues.map((issue) => ({
    path: issue.path.join('.') || '(root)',
    message: issue.message,
  }));
  throw new SearchInputError(
    'invalid_query',
    details.map((d) => `${d.path}: ${d.message}`).join('; '),
    details,
  );
}
