import type { Context, MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { tryDecodeURIComponent } from 'hono/utils/url';
import { unstorableCharacterIn } from '../../domain/storable-text.js';
import type { AppEnv } from '../env.js';
import { invalidRequest, type FieldProblem } from '../errors.js';

/** How deep a JSON body may nest objects and arrays; generous for any input schema, shallow for any stack. */
export const MAX_JSON_DEPTH = 64;

// A body full of bad strings answers with this many details, not thousands.
const MAX_PROBLEMS = 20;

// As Hono's validator: only these bodies are parsed as JSON.
const jsonMediaType = /^application\/([\w.-]+\+)?json$/i;

const cannotStore = (what: string) => `contains ${what}, which cannot be stored`;

// A URL without these has nothing to find in its path or query: NUL and lone surrogates only arrive
// percent-encoded (the HTTP parser refuses raw control characters), and the URL holds what it was sent as.
// eslint-disable-next-line no-control-regex -- NUL is what is looked for
const mayHoldUnstorable = /[%\u0000\ud800-\udfff]/;

/** Problems in the path: each segment decoded as the router decodes parameters, named as `param.<name>`. */
function pathProblems(c: Context): FieldProblem[] {
  const template = routePath(c, -1).split('/');
  return c.req.path.split('/').flatMap((segment, index) => {
    const found = unstorableCharacterIn(tryDecodeURIComponent(segment));
    if (!found) return [];
    const param = /^:(\w+)/.exec(template[index] ?? '')?.[1];
    return [{ path: param ? `param.${param}` : 'path', message: cannotStore(found) }];
  });
}

/** Problems in the query string's names and values. */
function queryProblems(c: Context): FieldProblem[] {
  return Object.entries(c.req.queries()).flatMap(([name, values]) => {
    const inName = unstorableCharacterIn(name);
    if (inName) return [{ path: 'query', message: `a parameter name ${cannotStore(inName)}` }];
    const inValue = values.map(unstorableCharacterIn).find(Boolean);
    return inValue ? [{ path: `query.${name}`, message: cannotStore(inValue) }] : [];
  });
}

/** Problems in a parsed JSON value: bad strings or keys, and nesting past MAX_JSON_DEPTH. */
function jsonProblems(value: unknown, path: string, depth: number, problems: FieldProblem[]): void {
  if (problems.length >= MAX_PROBLEMS) return;
  if (typeof value === 'string') {
    const found = unstorableCharacterIn(value);
    if (found) problems.push({ path, message: cannotStore(found) });
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (depth >= MAX_JSON_DEPTH) {
    problems.push({ path, message: `nests deeper than ${MAX_JSON_DEPTH} levels of objects and arrays` });
    return;
  }
  for (const [key, item] of Object.entries(value)) {
    const inKey = unstorableCharacterIn(key);
    if (inKey) problems.push({ path, message: `a key ${cannotStore(inKey)}` });
    else jsonProblems(item, `${path}.${key}`, depth + 1, problems);
  }
}

/** Problems in a JSON body; none when there is no JSON body or it does not parse (the route says so). */
async function bodyProblems(c: Context): Promise<FieldProblem[]> {
  const mediaType = c.req.header('content-type')?.split(';')[0]?.trim() ?? '';
  if (!jsonMediaType.test(mediaType)) return [];
  // Hono caches the text, so the route's validator reads the same body again (and parses it again).
  const text = await c.req.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return [];
  }
  const problems: FieldProblem[] = [];
  jsonProblems(parsed, 'json', 0, problems);
  return problems;
}

/**
 * Answers 400, with each field path, for input PostgreSQL cannot store or that nests too deep: NUL or
 * a lone surrogate in the path, the query or any string or key of a JSON body, and JSON nested past
 * MAX_JSON_DEPTH. One check for every route, before any handler can pass such a value on.
 */
export function refuseUnstorableInput(): MiddlewareHandler<AppEnv> {
  return async function refuseUnstorableInputMiddleware(c, next) {
    const problems = mayHoldUnstorable.test(c.req.url) ? [...pathProblems(c), ...queryProblems(c)] : [];
    if (problems.length === 0 && c.req.method !== 'GET' && c.req.method !== 'HEAD')
      problems.push(...(await bodyProblems(c)));
    if (problems.length > 0) throw invalidRequest(problems.slice(0, MAX_PROBLEMS));
    await next();
  };
}
