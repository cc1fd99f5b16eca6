// PostgreSQL stores neither NUL (U+0000) in text or jsonb, nor a lone UTF-16 surrogate in jsonb (its
// JSON escape is refused; in text, the UTF-8 encoder silently turns it into U+FFFD).
// eslint-disable-next-line no-control-regex -- NUL is precisely what it looks for
const unstorable = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const everyUnstorable = new RegExp(unstorable.source, 'g');

/** Names the first character of `text` PostgreSQL cannot store, or null when there is none. */
export function unstorableCharacterIn(text: string): string | null {
  const found = unstorable.exec(text)?.[0];
  if (found === undefined) return null;
  if (found === '\u0000') return 'NUL (U+0000)';
  return `a lone surrogate (U+${found.charCodeAt(0).toString(16).toUpperCase()})`;
}

/** `text` with every NUL and lone surrogate replaced by U+FFFD, the Unicode replacement character. */
export function toStorableText(text: string): string {
  return text.replace(everyUnstorable, '\ufffd');
}

/** A JSON value as JSON text jsonb accepts: every string and key made storable by toStorableText. */
export function toStorableJsonText(value: unknown): string | undefined {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (typeof item === 'string') return toStorableText(item);
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return item;
    const keys = Object.keys(item);
    if (!keys.some((key) => unstorable.test(key))) return item;
    return Object.fromEntries(
      keys.map((key) => [toStorableText(key), (item as Record<string, unknown>)[key]]),
    );
  });
}
