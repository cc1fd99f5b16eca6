/** The listing fields search reads. */
export interface SearchableListing {
  name: string;
  category: string;
  tags: string[];
  description: string;
  longDescription?: string | null;
  /** The manifest's exampleTasks: jobs the agent does, in the words a user would use. */
  exampleTasks?: string[] | null;
}

/**
 * The text embedded for a listing. USE-lite clips long inputs, so the fields that say what the agent
 * is for come first; the long description adds the vocabulary of the problem it solves, and the
 * example tasks the words of the people who have it. Tasks go last: placed before the long
 * description they did worse on the relevance set (vector MRR 0.622 against 0.661, bench/relevance.ts).
 */
export function listingEmbeddingText(listing: SearchableListing): string {
  const parts = [
    `${listing.name}. ${listing.description}`,
    listing.tags.join(', '),
    listing.longDescription ?? '',
    (listing.exampleTasks ?? []).join('\n'),
  ];
  return parts.filter((part) => part.trim().length > 0).join('\n');
}

/**
 * Texts for the weighted tsvector: A name and tags, B description and example tasks (both say what
 * the agent is for, in a sentence each), C long description.
 */
export function listingLexicalFields(listing: SearchableListing): { a: string; b: string; c: string } {
  return {
    a: `${listing.name} ${listing.tags.join(' ')}`,
    b: [listing.description, ...(listing.exampleTasks ?? [])].join('\n'),
    c: listing.longDescription ?? '',
  };
}
