import { describe, expect, it } from 'vitest';
import { versionStatusSchema } from '../../src/domain/catalog/schemas.js';
import { assertTransition, canTransition } from '../../src/domain/catalog/version-status.js';

describe('version lifecycle', () => {
  it('allows exactly draft → in_review → published | rejected (| draft), then deprecated / suspended', () => {
    const allowed = versionStatusSchema.options.flatMap((from) =>
      versionStatusSchema.options.filter((to) => canTransition(from, to)).map((to) => `${from}→${to}`),
    );
    expect(allowed.sort()).toEqual(
      [
        'draft→in_review',
        'in_review→published',
        'in_review→rejected',
        'in_review→draft',
        'published→deprecated',
        'published→suspended',
        'published→draft',
        'deprecated→suspended',
      ].sort(),
    );
  });

  it('throws a 409 conflict naming both states', () => {
    expect(() => assertTransition('rejected', 'published')).toThrowError(
      'a rejected version cannot become published',
    );
    try {
      assertTransition('draft', 'published');
    } catch (error) {
      expect(error).toMatchObject({ code: 'conflict', details: { from: 'draft', to: 'published' } });
    }
  });
});
