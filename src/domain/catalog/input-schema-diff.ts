// What changes for a caller between two versions' input schemas (a practical subset of JSON Schema:
// type, properties, required, enum, items, additionalProperties and the numeric/length bounds).
// A change is breaking when an input the old version accepted may be refused or misread by the new one.

/** One difference between two input schemas, at a JSON path such as `order.items[]`. */
export interface InputSchemaChange {
  path: string;
  summary: string;
  breaking: boolean;
}

type Schema = Record<string, unknown>;

const isObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const typesOf = (schema: Schema): Set<string> | null => {
  const type = schema.type;
  if (typeof type === 'string') return new Set([type]);
  if (Array.isArray(type)) return new Set(type.filter((t): t is string => typeof t === 'string'));
  return null; // no type: any JSON value
};

// "integer" values are numbers too, so {number} ⊇ {integer}.
const admits = (types: Set<string>, type: string) =>
  types.has(type) || (type === 'integer' && types.has('number'));

const describeTypes = (types: Set<string> | null) => (types ? [...types].sort().join('|') : 'any');

const lowerBounds = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'] as const;
const upperBounds = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'] as const;
// Keywords whose meaning this diff does not interpret: a change to them is reported, conservatively, as breaking.
const opaqueKeywords = [
  '$ref',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'pattern',
  'format',
  'const',
  'if',
] as const;

const at = (path: string, child: string) => (path ? `${path}.${child}` : child);
const where = (path: string) => (path ? `\`${path}\`` : 'the input');

/** Every change from the old input schema to the new one, each classified breaking or compatible. */
export function diffInputSchemas(from: unknown, to: unknown): InputSchemaChange[] {
  const changes: InputSchemaChange[] = [];
  compare(isObject(from) ? from : {}, isObject(to) ? to : {}, '', changes);
  return changes;
}

function compare(from: Schema, to: Schema, path: string, out: InputSchemaChange[]): void {
  const push = (summary: string, breaking: boolean) => out.push({ path, summary, breaking });

  const fromTypes = typesOf(from);
  const toTypes = typesOf(to);
  if (describeTypes(fromTypes) !== describeTypes(toTypes)) {
    const narrowed =
      toTypes !== null && (fromTypes === null || [...fromTypes].some((t) => !admits(toTypes, t)));
    push(
      `${where(path)}: type ${describeTypes(fromTypes)} → ${describeTypes(toTypes)}${narrowed ? ' (narrowed)' : ' (widened)'}`,
      narrowed,
    );
  }

  const fromEnum = Array.isArray(from.enum) ? from.enum : null;
  const toEnum = Array.isArray(to.enum) ? to.enum : null;
  if (toEnum) {
    const key = (value: unknown) => JSON.stringify(value);
    const toKeys = new Set(toEnum.map(key));
    if (!fromEnum) push(`${where(path)}: now limited to ${toEnum.length} allowed value(s)`, true);
    else {
      const removed = fromEnum.filter((value) => !toKeys.has(key(value)));
      const fromKeys = new Set(fromEnum.map(key));
      const added = toEnum.filter((value) => !fromKeys.has(key(value)));
      if (removed.length > 0)
        push(`${where(path)}: enum value(s) removed: ${removed.map(key).join(', ')}`, true);
      if (added.length > 0) push(`${where(path)}: enum value(s) added: ${added.map(key).join(', ')}`, false);
    }
  } else if (fromEnum) push(`${where(path)}: no longer limited to a list of values`, false);

  for (const bound of lowerBounds) compareBound(from, to, bound, 'lower', path, out);
  for (const bound of upperBounds) compareBound(from, to, bound, 'upper', path, out);

  for (const keyword of opaqueKeywords) {
    if (JSON.stringify(from[keyword]) !== JSON.stringify(to[keyword])) {
      push(`${where(path)}: \`${keyword}\` changed (not classified: treated as breaking)`, true);
    }
  }

  const fromProps = isObject(from.properties) ? from.properties : {};
  const toProps = isObject(to.properties) ? to.properties : {};
  const fromRequired = new Set(Array.isArray(from.required) ? (from.required as string[]) : []);
  const toRequired = new Set(Array.isArray(to.required) ? (to.required as string[]) : []);
  for (const name of Object.keys(fromProps)) {
    if (!(name in toProps))
      out.push({ path: at(path, name), summary: `\`${at(path, name)}\` removed`, breaking: true });
  }
  for (const name of Object.keys(toProps)) {
    if (!(name in fromProps) && !toRequired.has(name)) {
      out.push({ path: at(path, name), summary: `optional \`${at(path, name)}\` added`, breaking: false });
    }
  }
  for (const name of toRequired) {
    if (!fromRequired.has(name)) {
      out.push({ path: at(path, name), summary: `\`${at(path, name)}\` is now required`, breaking: true });
    }
  }
  for (const name of fromRequired) {
    if (!toRequired.has(name) && name in toProps) {
      out.push({
        path: at(path, name),
        summary: `\`${at(path, name)}\` is no longer required`,
        breaking: false,
      });
    }
  }
  for (const name of Object.keys(fromProps)) {
    const before = fromProps[name];
    const after = toProps[name];
    if (isObject(before) && isObject(after)) compare(before, after, at(path, name), out);
  }

  const closedBefore = from.additionalProperties === false;
  const closedAfter = to.additionalProperties === false;
  if (!closedBefore && closedAfter) push(`${where(path)}: properties not listed are now refused`, true);
  if (closedBefore && !closedAfter) push(`${where(path)}: properties not listed are now accepted`, false);

  if (isObject(from.items) || isObject(to.items)) {
    compare(isObject(from.items) ? from.items : {}, isObject(to.items) ? to.items : {}, `${path}[]`, out);
  }
}

function compareBound(
  from: Schema,
  to: Schema,
  bound: string,
  side: 'lower' | 'upper',
  path: string,
  out: InputSchemaChange[],
): void {
  const before = typeof from[bound] === 'number' ? (from[bound] as number) : undefined;
  const after = typeof to[bound] === 'number' ? (to[bound] as number) : undefined;
  if (before === after) return;
  const tightened =
    after !== undefined && (before === undefined || (side === 'lower' ? after > before : after < before));
  out.push({
    path,
    summary: `${where(path)}: ${bound} ${before ?? 'none'} → ${after ?? 'none'}${tightened ? ' (tightened)' : ' (relaxed)'}`,
    breaking: tightened,
  });
}
