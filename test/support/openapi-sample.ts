// Request bodies built from an OpenAPI schema: valid wherever a value is constrained (enums, formats,
// patterns, numbers), with one chosen string in every free-text field and wherever any JSON is allowed,
// so a bad string gets past validation to the handler unless something refuses it first.
import { randomUUID } from 'node:crypto';

type Schema = Record<string, any>;

// Values for constrained strings the schema gives no example for (patterns, zod refinements).
const knownStrings: Record<string, string> = {
  version: '1.0.0',
  slug: 'probe-slug',
  category: 'probe',
  name: 'PROBE_NAME',
  cpu: '500m',
  memory: '256Mi',
  currency: 'usd',
  period: '2026-10',
};

/** A body for `schema` in which every free string is `text` and every untyped value is `anyJson`. */
export function sampleBody(schema: Schema, text: string, anyJson: unknown, name = ''): unknown {
  if (schema.oneOf || schema.anyOf) return sampleBody((schema.oneOf ?? schema.anyOf)[0], text, anyJson, name);
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'object': {
      const properties: Record<string, Schema> = schema.properties ?? {};
      if (Object.keys(properties).length === 0) return { probe: anyJson };
      return Object.fromEntries(
        Object.entries(properties).map(([key, property]) => [key, sampleBody(property, text, anyJson, key)]),
      );
    }
    case 'array':
      return schema.minItems ? [sampleBody(schema.items ?? {}, text, anyJson, name)] : [];
    case 'string':
      if (schema.format === 'uuid') return randomUUID();
      if (schema.format === 'date-time') return new Date().toISOString();
      if (schema.format === 'uri') return 'https://example.com/run';
      if (schema.example !== undefined) return schema.example;
      if (schema.default !== undefined) return schema.default;
      if (schema.pattern || name in knownStrings) return knownStrings[name] ?? 'ab';
      return text;
    case 'number':
    case 'integer':
      return schema.example ?? schema.default ?? schema.minimum ?? 1;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default:
      return anyJson;
  }
}
