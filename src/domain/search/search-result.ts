import { z } from 'zod';

/** One listing in GET /v1/search's answer (the API adds the listing fields it reads from Postgres). */
export const searchHitSchema = z.object({
  listingId: z.string(),
  score: z.number().min(0).max(1),
  matchedBy: z.enum(['lexical', 'semantic', 'both']),
});
/** A search hit as the API returns it. */
export type SearchHit = z.infer<typeof searchHitSchema>;

/** The page envelope of GET /v1/search. */
export const searchPageSchema = z.object({
  results: z.array(searchHitSchema),
  nextCursor: z.string().nullable(),
});
/** A page of search hits. */
export type SearchPage = z.infer<typeof searchPageSchema>;
