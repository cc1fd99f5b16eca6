import { z } from 'zod';
import type { Queryable } from '../../db/pool.js';
import { amount, requiredCredentialSchema } from '../catalog/schemas.js';

const toolName = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/, 'lowercase letters, digits and inner hyphens only');

const httpMethod = z.enum(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE']);

/** How the gateway puts the tenant's credential on an upstream request: a header and its value's template. */
const injectionSchema = z.object({
  header: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,64}$/, 'an HTTP header name')
    .transform((value) => value.toLowerCase()),
  template: z
    .string()
    .max(200)
    .refine((value) => value.includes('{credential}'), { message: 'must contain {credential}' }),
});

// Fields both kinds share; an upstream is https only, since the tenant's credential travels on it.
const commonFields = {
  name: toolName,
  description: z.string().trim().min(1).max(500),
  baseUrl: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).max(2000),
  credentialName: requiredCredentialSchema.shape.name,
  pricePer1kInputTokens: amount.nullable().optional(),
  pricePer1kOutputTokens: amount.nullable().optional(),
};

const llmToolSchema = z.object({
  ...commonFields,
  kind: z.literal('llm'),
  models: z.array(z.string().min(1).max(200)).min(1).max(100),
});

const httpToolSchema = z.object({
  ...commonFields,
  kind: z.literal('http'),
  injection: injectionSchema.default({ header: 'authorization', template: 'Bearer {credential}' }),
  allowedMethods: z.array(httpMethod).min(1).max(6),
  allowedPathPrefixes: z
    .array(
      z
        .string()
        .max(500)
        .regex(/^\/[^\s?#]*$/, 'a path starting with /, without query or fragment')
        .refine((path) => !path.split('/').includes('..'), { message: 'no .. segments' }),
    )
    .min(1)
    .max(50),
});

/** The body of POST /v1/platform/tools: an llm or an http tool. */
export const toolDefinitionSchema = z.discriminatedUnion('kind', [llmToolSchema, httpToolSchema]);
/** A tool definition as a platform admin writes it. */
export type ToolDefinition = z.infer<typeof toolDefinitionSchema>;

/** The body of PATCH /v1/platform/tools/{name}: any fields but the name and kind. */
export const toolChangesSchema = z
  .object({
    description: commonFields.description,
    baseUrl: commonFields.baseUrl,
    credentialName: commonFields.credentialName,
    pricePer1kInputTokens: commonFields.pricePer1kInputTokens,
    pricePer1kOutputTokens: commonFields.pricePer1kOutputTokens,
    models: llmToolSchema.shape.models,
    injection: injectionSchema,
    allowedMethods: httpToolSchema.shape.allowedMethods,
    allowedPathPrefixes: httpToolSchema.shape.allowedPathPrefixes,
  })
  .partial()
  .strict();
/** Changes to a tool. */
export type ToolChanges = z.infer<typeof toolChangesSchema>;

/** A tool of the catalog, as stored. */
export interface Tool {
  name: string;
  kind: 'llm' | 'http';
  description: string;
  baseUrl: string;
  credentialName: string;
  injection: { header: string; template: string };
  models: string[];
  allowedMethods: string[];
  allowedPathPrefixes: string[];
  pricePer1kInputTokens: number | null;
  pricePer1kOutputTokens: number | null;
  createdAt: string;
  updatedAt: string;
}

function toTool(row: Record<string, unknown>): Tool {
  const price = (value: unknown) => (value === null ? null : Number(value));
  return {
    name: row.name as string,
    kind: row.kind as Tool['kind'],
    description: row.description as string,
    baseUrl: row.base_url as string,
    credentialName: row.credential_name as string,
    injection: { header: row.auth_header as string, template: row.auth_template as string },
    models: row.models as string[],
    allowedMethods: row.allowed_methods as string[],
    allowedPathPrefixes: row.allowed_path_prefixes as string[],
    pricePer1kInputTokens: price(row.price_per_1k_input_tokens),
    pricePer1kOutputTokens: price(row.price_per_1k_output_tokens),
    createdAt: (row.created_at as Date).toISOString(),
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

/** A tool as any key sees it in the catalog: no upstream, no prices. */
export function toPublicTool(tool: Tool) {
  return {
    name: tool.name,
    kind: tool.kind,
    description: tool.description,
    credentialName: tool.credentialName,
    ...(tool.kind === 'llm' ? { models: tool.models } : {}),
  };
}

type ToolFields = Omit<Tool, 'createdAt' | 'updatedAt'>;

/** A definition in stored form: the fields of the other kind empty, the default injection filled in. */
function toFields(definition: ToolDefinition): ToolFields {
  return {
    name: definition.name,
    kind: definition.kind,
    description: definition.description,
    baseUrl: definition.baseUrl,
    credentialName: definition.credentialName,
    injection:
      definition.kind === 'http'
        ? definition.injection
        : { header: 'authorization', template: 'Bearer {credential}' },
    models: definition.kind === 'llm' ? definition.models : [],
    allowedMethods: definition.kind === 'http' ? definition.allowedMethods : [],
    allowedPathPrefixes: definition.kind === 'http' ? definition.allowedPathPrefixes : [],
    pricePer1kInputTokens: definition.pricePer1kInputTokens ?? null,
    pricePer1kOutputTokens: definition.pricePer1kOutputTokens ?? null,
  };
}

const columns = (tool: ToolFields) => [
  tool.name,
  tool.kind,
  tool.description,
  tool.baseUrl.replace(/\/+$/, ''),
  tool.credentialName,
  tool.injection.header,
  tool.injection.template,
  tool.models,
  tool.allowedMethods,
  tool.allowedPathPrefixes,
  tool.pricePer1kInputTokens,
  tool.pricePer1kOutputTokens,
];

/** Adds a tool; null when one of that name exists. */
export async function insertTool(db: Queryable, definition: ToolDefinition): Promise<Tool | null> {
  const { rows } = await db.query(
    `INSERT INTO tools (name, kind, description, base_url, credential_name, auth_header, auth_template, models,
                        allowed_methods, allowed_path_prefixes, price_per_1k_input_tokens, price_per_1k_output_tokens)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
     ON CONFLICT (name) DO NOTHING RETURNING *`,
    columns(toFields(definition)),
  );
  return rows[0] ? toTool(rows[0]) : null;
}

/** Replaces a tool's definition (same name and kind). */
export async function updateTool(db: Queryable, tool: ToolFields): Promise<Tool> {
  const { rows } = await db.query(
    `UPDATE tools SET description = $3, base_url = $4, credential_name = $5, auth_header = $6, auth_template = $7,
       models = $8, allowed_methods = $9, allowed_path_prefixes = $10, price_per_1k_input_tokens = $11,
       price_per_1k_output_tokens = $12, updated_at = now()
     WHERE name = $1 AND kind = $2 RETURNING *`,
    columns(tool),
  );
  return toTool(rows[0]);
}

/** Removes a tool; false when it did not exist. */
export async function deleteTool(db: Queryable, name: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM tools WHERE name = $1', [name]);
  return rowCount === 1;
}

/** One tool, or null; `forUpdate` locks its row for the caller's transaction. */
export async function findTool(db: Queryable, name: string, forUpdate = false): Promise<Tool | null> {
  const { rows } = await db.query(`SELECT * FROM tools WHERE name = $1${forUpdate ? ' FOR UPDATE' : ''}`, [
    name,
  ]);
  return rows[0] ? toTool(rows[0]) : null;
}

/** The catalog, by name; with `names`, only those tools. */
export async function listTools(db: Queryable, names?: readonly string[]): Promise<Tool[]> {
  const { rows } = await db.query(
    'SELECT * FROM tools WHERE $1::text[] IS NULL OR name = ANY($1) ORDER BY name',
    [names ?? null],
  );
  return rows.map(toTool);
}

/** Versions that still need a tool (drafts aside), as `slug@version`, for refusing its deletion. */
export async function versionsRequiringTool(db: Queryable, name: string): Promise<string[]> {
  const { rows } = await db.query(
    `SELECT l.slug || '@' || v.version AS ref FROM listing_versions v JOIN listings l ON l.id = v.listing_id
     WHERE v.manifest->'requiredTools' ? $1 AND v.status IN ('in_review', 'published', 'deprecated')
     ORDER BY 1 LIMIT 20`,
    [name],
  );
  return rows.map((row) => row.ref as string);
}
