import { describe, expect, it } from 'vitest';
import { toStorableJsonText, toStorableText, unstorableCharacterIn } from '../../src/domain/storable-text.js';

describe('storable text', () => {
  it('names NUL and lone surrogates, and accepts proper surrogate pairs', () => {
    expect(unstorableCharacterIn('a\u0000b')).toBe('NUL (U+0000)');
    expect(unstorableCharacterIn('a\ud800b')).toBe('a lone surrogate (U+D800)');
    expect(unstorableCharacterIn('\udc00 first')).toBe('a lone surrogate (U+DC00)');
    expect(unstorableCharacterIn('end \ud83d')).toBe('a lone surrogate (U+D83D)');
    expect(unstorableCharacterIn('emoji 😀, accents é, escapes \\u0000')).toBeNull();
  });

  it('replaces each with U+FFFD, in text and in every string and key of JSON', () => {
    expect(toStorableText('a\u0000b\ud800c😀')).toBe('a\ufffdb\ufffdc😀');
    const stored = toStorableJsonText({ 'k\u0000': ['\udc00', 1, null, { deep: 'x\u0000' }], fine: '😀' });
    expect(JSON.parse(stored!)).toEqual({ 'k\ufffd': ['\ufffd', 1, null, { deep: 'x\ufffd' }], fine: '😀' });
    expect(stored).not.toMatch(/\\u0000|\\ud[89a-f]/i);
  });
});
