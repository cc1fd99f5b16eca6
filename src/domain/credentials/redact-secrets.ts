/**
 * Values shorter than this are never redacted. A value of a few characters ("1234", "dev") occurs
 * in ordinary output by chance, so redacting it would mangle every result, and each marker would
 * also show where the value stood, which discloses it; such a value is not protected either way.
 */
export const MIN_REDACTED_VALUE_LENGTH = 8;

/** Removes one run's credential values from text and JSON before either is stored or returned. */
export interface SecretRedactor {
  /** The text with every occurrence of a value, in any of its forms, replaced by `[redacted:NAME]`. */
  text(text: string): string;
  /**
   * Like text(), for a text that may have been cut (a log tail, a shortened excerpt): it also
   * removes the end of a value left at the text's start and the beginning of one left at its end.
   */
  cutText(text: string): string;
  /** A copy of a JSON value with text() applied to every string in it, object keys included. */
  json(value: unknown): unknown;
}

/**
 * The distinct forms a value can be echoed in: as is, standard base64 (with and without padding),
 * base64url, URL-encoded, and escaped inside a JSON string (how reasons quote an agent's output).
 */
export function secretForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const base64 = bytes.toString('base64');
  const forms = [
    value,
    base64,
    base64.replace(/=+$/, ''),
    bytes.toString('base64url'),
    encodeURIComponent(value),
    JSON.stringify(value).slice(1, -1),
  ];
  return [...new Set(forms)];
}

/** Characters a cut text may end with after the cut: an ellipsis, a closing quote, white space. */
const trailingMarks = /[\s…"]*$/u;

/**
 * Builds the redactor for a run from the secret values it was given, by name. With no value of
 * MIN_REDACTED_VALUE_LENGTH characters or more, it returns everything unchanged.
 */
export function createSecretRedactor(secrets: Record<string, string>): SecretRedactor {
  const nameOf = new Map<string, string>();
  for (const [name, value] of Object.entries(secrets).sort(([a], [b]) => a.localeCompare(b))) {
    if (value.length < MIN_REDACTED_VALUE_LENGTH) continue;
    for (const form of secretForms(value)) if (!nameOf.has(form)) nameOf.set(form, name);
  }
  // Longest first: at any position the longest form wins (a value's base64 may contain another value).
  const forms = [...nameOf.keys()].sort((a, b) => b.length - a.length);
  const pattern = forms.length > 0 ? new RegExp(forms.map(escapeRegExp).join('|'), 'g') : null;
  const marker = (form: string) => `[redacted:${nameOf.get(form)}]`;

  const text = (input: string) => (pattern ? input.replace(pattern, marker) : input);

  const cutText = (input: string) => {
    let result = text(input);
    for (const form of forms) {
      const end = result.length - trailingMarks.exec(result)![0].length;
      const from = prefixFragmentAt(result, end, form);
      if (from !== null) result = result.slice(0, from) + marker(form) + result.slice(end);
      const to = suffixFragmentAt(result, form);
      if (to !== null) result = marker(form) + result.slice(to);
    }
    return result;
  };

  const json = (value: unknown): unknown => {
    if (!pattern) return value;
    if (typeof value === 'string') return text(value);
    if (Array.isArray(value)) return value.map(json);
    if (value !== null && typeof value === 'object')
      return Object.fromEntries(Object.entries(value).map(([key, item]) => [text(key), json(item)]));
    return value;
  };

  return { text, cutText, json };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Where a fragment of `form`'s beginning (at least the minimum length) ends the text at `end`, or null. */
function prefixFragmentAt(text: string, end: number, form: string): number | null {
  const head = form.slice(0, MIN_REDACTED_VALUE_LENGTH);
  const earliest = Math.max(0, end - form.length + 1);
  for (let at = text.indexOf(head, earliest); at !== -1 && at <= end - head.length;) {
    if (form.startsWith(text.slice(at, end))) return at;
    at = text.indexOf(head, at + 1);
  }
  return null;
}

/** Where a fragment of `form`'s end (at least the minimum length) that starts the text ends, or null. */
function suffixFragmentAt(text: string, form: string): number | null {
  const tail = form.slice(-MIN_REDACTED_VALUE_LENGTH);
  for (let at = text.lastIndexOf(tail, form.length - 1 - tail.length); at >= 0;) {
    const to = at + tail.length;
    if (form.endsWith(text.slice(0, to))) return to;
    at = at === 0 ? -1 : text.lastIndexOf(tail, at - 1);
  }
  return null;
}
