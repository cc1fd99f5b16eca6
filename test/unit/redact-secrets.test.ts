import { describe, expect, it } from 'vitest';
import {
  createSecretRedactor,
  MIN_REDACTED_VALUE_LENGTH,
  secretForms,
} from '../../src/domain/credentials/redact-secrets.js';

// '>>>???' makes base64 and base64url differ ('+/' against '-_'), and the rest makes URL-encoding differ.
const KEY = '>>>???sk-live-7f3a9c&scope=all orders';
const TOKEN = 'tok_9b1e4d7c2a';

describe('secret redactor', () => {
  const redactor = createSecretRedactor({ SHOP_API_KEY: KEY, CRM_TOKEN: TOKEN });
  const forms = secretForms(KEY);

  it('knows the distinct forms of a value: as is, base64 (padded or not), base64url, URL-encoded', () => {
    const base64 = Buffer.from(KEY).toString('base64');
    // No quote or backslash in KEY: its JSON-escaped form is itself, so it is not listed twice.
    expect(forms).toEqual([
      KEY,
      base64,
      base64.replace(/=+$/, ''),
      Buffer.from(KEY).toString('base64url'),
      encodeURIComponent(KEY),
    ]);
    expect(base64).toMatch(/[+/].*==$/);
    expect(forms[3]).toMatch(/[-_]/);
  });

  it('replaces every occurrence of every form with the name of its credential', () => {
    const padded = Buffer.from(KEY).toString('base64');
    const text = `raw ${KEY} b64 ${padded} url ${encodeURIComponent(KEY)} b64url ${forms[3]} and ${TOKEN}${TOKEN}`;
    expect(redactor.text(`${text} unpadded ${forms[2]}.`)).toBe(
      'raw [redacted:SHOP_API_KEY] b64 [redacted:SHOP_API_KEY] url [redacted:SHOP_API_KEY] ' +
        'b64url [redacted:SHOP_API_KEY] and [redacted:CRM_TOKEN][redacted:CRM_TOKEN] unpadded [redacted:SHOP_API_KEY].',
    );
  });

  it('finds a value escaped inside a JSON string', () => {
    const quoted = 'pa"ss\\word-1234';
    const json = createSecretRedactor({ PASSWORD: quoted });
    expect(json.text(`reason: ${JSON.stringify({ out: quoted })}`)).toBe(
      'reason: {"out":"[redacted:PASSWORD]"}',
    );
  });

  it('walks JSON: strings at any depth and object keys, leaving other values alone', () => {
    const output = {
      [KEY]: { nested: [`Bearer ${TOKEN}`, 42, true, null] },
      encoded: encodeURIComponent(KEY),
      plain: 'nothing secret',
    };
    expect(redactor.json(output)).toEqual({
      '[redacted:SHOP_API_KEY]': { nested: ['Bearer [redacted:CRM_TOKEN]', 42, true, null] },
      encoded: '[redacted:SHOP_API_KEY]',
      plain: 'nothing secret',
    });
    expect(redactor.json(TOKEN)).toBe('[redacted:CRM_TOKEN]');
    expect(output.encoded).toBe(encodeURIComponent(KEY)); // a copy: the input is untouched
  });

  it('removes the part of a value left where a text was cut: its beginning at the end, its end at the start', () => {
    expect(redactor.cutText(`exited with code 1: key is ${TOKEN.slice(0, 10)}…`)).toBe(
      'exited with code 1: key is [redacted:CRM_TOKEN]…',
    );
    expect(redactor.cutText(`stdout: "key=${KEY.slice(0, 12)}…"`)).toBe(
      'stdout: "key=[redacted:SHOP_API_KEY]…"',
    );
    expect(redactor.cutText(`${KEY.slice(-9)}\nnext line\n`)).toBe('[redacted:SHOP_API_KEY]\nnext line\n');
    // text() leaves fragments: they are only cut at the edges of a cut text.
    expect(redactor.text(`${TOKEN.slice(0, 10)}…`)).toBe(`${TOKEN.slice(0, 10)}…`);
  });

  it('leaves fragments shorter than the minimum, and text that merely resembles a value', () => {
    const short = TOKEN.slice(0, MIN_REDACTED_VALUE_LENGTH - 1);
    expect(redactor.cutText(`ends with ${short}…`)).toBe(`ends with ${short}…`);
    expect(redactor.cutText('tok_9b1e4d7c2b is another token')).toBe('tok_9b1e4d7c2b is another token');
  });

  it(`does not redact values shorter than ${MIN_REDACTED_VALUE_LENGTH} characters`, () => {
    const short = createSecretRedactor({ PIN: '1234567' });
    expect(short.text('order 1234567 shipped')).toBe('order 1234567 shipped');
    expect(short.json({ a: '1234567' })).toEqual({ a: '1234567' });
    expect(createSecretRedactor({ PIN: '12345678' }).text('order 12345678')).toBe('order [redacted:PIN]');
  });

  it('prefers the longest match where values overlap, and changes nothing without secrets', () => {
    const overlapping = createSecretRedactor({ INNER: 'abcdefgh', OUTER: 'xxabcdefghxx' });
    expect(overlapping.text('xxabcdefghxx abcdefgh')).toBe('[redacted:OUTER] [redacted:INNER]');
    const none = createSecretRedactor({});
    expect(none.cutText('anything…')).toBe('anything…');
    expect(none.json({ a: 1 })).toEqual({ a: 1 });
  });
});
