import { describe, expect, it } from 'vitest';
import { toLexicalQueryText } from '../../../src/domain/search/lexical-query.js';
import { MAX_QUERY_LENGTH, parseSearchQuery } from '../../../src/domain/search/search-query.js';

function errorOf(fn: () => unknown): { code: string; details: { path: string; message: string }[] } {
  try {
    fn();
  } catch (error) {
    return error as { code: string; details: { path: string; message: string }[] };
  }
  throw new Error('expected an error');
}

describe('parseSearchQuery', () => {
  it('normalises the query and parses string parameters as the API receives them', () => {
    expect(
      parseSearchQuery({
        q: '  handle   customer\trefunds ',
        tags: 'Returns, ecommerce,returns',
        limit: '5',
        minRating: '4.5',
      }),
    ).toEqual({ q: 'handle customer refunds', tags: ['returns', 'ecommerce'], limit: 5, minRating: 4.5 });
  });

  it('defaults the page size', () => {
    expect(parseSearchQuery({ q: 'tax' }).limit).toBe(20);
  });

  it.each([
    ['missing', {}],
    ['empty', { q: '' }],
    ['only whitespace', { q: ' \n\t ' }],
  ])('rejects a %s query with a field-level detail', (_, input) => {
    const error = errorOf(() => parseSearchQuery(input));
    expect(error.code).toBe('invalid_query');
    expect(error.details).toEqual([expect.objectContaining({ path: 'q' })]);
  });

  it('rejects an over-long query, counting characters after normalisation', () => {
    expect(parseSearchQuery({ q: `${'a'.repeat(MAX_QUERY_LENGTH)}    ` }).q).toHaveLength(MAX_QUERY_LENGTH);
    const error = errorOf(() => parseSearchQuery({ q: 'a'.repeat(MAX_QUERY_LENGTH + 1) }));
    expect(error.details[0]).toMatchObject({
      path: 'q',
      message: expect.stringContaining(`${MAX_QUERY_LENGTH}`),
    });
  });

  it('reports every invalid field at once', () => {
    const error = errorOf(() =>
      parseSearchQuery({ q: 'x', limit: '0', pricingModel: 'barter', minRating: '9' }),
    );
    expect(error.details.map((d) => d.path).sort()).toEqual(['limit', 'minRating', 'pricingModel']);
  });
});

describe('toLexicalQueryText', () => {
  it('ORs the words so sentences match listings that share only some of them', () => {
    expect(toLexicalQueryText('handle customer refund requests')).toBe(
      'handle or customer or refund or requests',
    );
  });

  it('keeps quoted phrases and exclusions, and drops punctuation and a literal "or"', () => {
    expect(toLexicalQueryText('"soc 2" audit, or evidence -iso')).toBe('"soc 2" or audit or evidence -iso');
  });
});
