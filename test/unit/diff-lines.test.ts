// The reviewer's manifest diff: every line of both texts appears once, in order, marked as kept,
// added or removed.
import { describe, expect, it } from 'vitest';
import { diffLines } from '../../web/src/diff-lines.js';

describe('diffLines', () => {
  it('marks added, removed and kept lines in order', () => {
    expect(diffLines('a\nb\nc', 'a\nc\nd')).toEqual([
      { kind: 'same', text: 'a' },
      { kind: 'removed', text: 'b' },
      { kind: 'same', text: 'c' },
      { kind: 'added', text: 'd' },
    ]);
  });

  it('keeps both texts whole: the kept and removed lines are the old text, kept and added the new', () => {
    const before = JSON.stringify(
      { version: '1.0.0', pricing: { model: 'free' }, tools: ['a', 'b'] },
      null,
      2,
    );
    const after = JSON.stringify(
      { version: '1.1.0', pricing: { model: 'usage_based' }, tools: ['b'] },
      null,
      2,
    );
    const lines = diffLines(before, after);
    const text = (kinds: string[]) =>
      lines
        .filter((l) => kinds.includes(l.kind))
        .map((l) => l.text)
        .join('\n');
    expect(text(['same', 'removed'])).toBe(before);
    expect(text(['same', 'added'])).toBe(after);
    expect(lines.filter((l) => l.kind !== 'same').map((l) => l.text.trim())).toEqual([
      '"version": "1.0.0",',
      '"version": "1.1.0",',
      '"model": "free"',
      '"model": "usage_based"',
      '"a",',
    ]);
  });

  it('finds no change between equal texts', () => {
    expect(diffLines('x\ny', 'x\ny').every((l) => l.kind === 'same')).toBe(true);
  });
});
