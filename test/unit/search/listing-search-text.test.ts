import { describe, expect, it } from 'vitest';
import {
  listingEmbeddingText,
  listingLexicalFields,
} from '../../../src/domain/search/listing-search-text.js';

const listing = {
  name: 'ReturnWise',
  category: 'customer-support',
  tags: ['returns', 'ecommerce'],
  description: 'Processes product returns.',
  longDescription: 'Reads return emails and issues labels.',
};

describe('listing search text', () => {
  it('embeds the example tasks after everything else, one per line', () => {
    const text = listingEmbeddingText({
      ...listing,
      exampleTasks: ['Refund a damaged order', 'Send a label'],
    });
    expect(text.split('\n')).toEqual([
      'ReturnWise. Processes product returns.',
      'returns, ecommerce',
      'Reads return emails and issues labels.',
      'Refund a damaged order',
      'Send a label',
    ]);
  });

  it('is unchanged for a listing without example tasks, so existing embeddings stay valid', () => {
    expect(listingEmbeddingText({ ...listing, exampleTasks: [] })).toBe(listingEmbeddingText(listing));
    expect(listingEmbeddingText({ ...listing, exampleTasks: null })).toBe(listingEmbeddingText(listing));
  });

  it('indexes example tasks with the description (weight B)', () => {
    expect(listingLexicalFields({ ...listing, exampleTasks: ['Refund a damaged order'] })).toEqual({
      a: 'ReturnWise returns ecommerce',
      b: 'Processes product returns.\nRefund a damaged order',
      c: 'Reads return emails and issues labels.',
    });
  });
});
