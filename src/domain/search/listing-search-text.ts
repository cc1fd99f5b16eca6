/** The listing fields search reads. */
export interface SearchableListing {
  name: string;
  category: string;
  tags: string[];
  description: string;
  longDescription?: string | null;
}

/**
 * The text embedded for a listing. USE-lite clips long inputs, so the fields that say what the agent
 * is for come first; the long description adds the vocabulary of the problem it solves.
 */
export function listingEmbeddingText(listing: SearchableListing): string {
  const parts = [
    `${listing.name}. ${listing.description}`,
    listing.tags.join(', '),
    listing.longDescription ?? '',
  ];
  return parts.filter((part) => part.trim().length > 0).join('\n');
}

/** Texts for the weighted tsvector: A name and tags, B description, C long description. */
export function listingLexicalFields(listing: SearchableListing): { a: string; b: string; c: string } {
  return {
    a: `${listing.name} ${listing.tags.join(' ')}`,
    b: listing.description,
    c: listing.longDescription ?? '',
  };
}
