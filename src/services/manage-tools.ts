import { withTransaction } from '../db/pool.js';
import { recordAudit } from '../domain/audit/repository.js';
import type { Principal } from '../domain/auth/principal.js';
import { AppError, conflict, notFound } from '../domain/errors.js';
import {
  deleteTool,
  findTool,
  insertTool,
  toolDefinitionSchema,
  updateTool,
  versionsRequiringTool,
  type Tool,
  type ToolChanges,
  type ToolDefinition,
} from '../domain/gateway/tools.js';
import type { ServiceDeps } from './deps.js';

/** A platform admin adds a tool to the catalog (audited); 409 when the name is taken. */
export async function createTool(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  definition: ToolDefinition,
): Promise<Tool> {
  return withTransaction(deps.db, async (tx) => {
    const created = await insertTool(tx, definition);
    if (!created) throw conflict(`a tool named ${definition.name} exists`);
    await recordAudit(tx, {
      orgId: null,
      actor: principal,
      action: 'tool.created',
      subjectType: 'tool',
      subjectId: created.name,
      details: { kind: created.kind, credentialName: created.credentialName },
    });
    return created;
  });
}

// Fields that belong to one kind only: giving them to a tool of the other kind is a mistake to name.
const kindOnly: Record<string, Tool['kind']> = {
  models: 'llm',
  injection: 'http',
  allowedMethods: 'http',
  allowedPathPrefixes: 'http',
};

/** A platform admin changes a tool (name and kind stay); the result must still be a valid tool (400). */
export async function changeTool(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { name: string; changes: ToolChanges },
): Promise<Tool> {
  return withTransaction(deps.db, async (tx) => {
    const tool = await findTool(tx, input.name, true);
    if (!tool) throw notFound('tool');
    const wrongKind = Object.keys(input.changes)
      .filter((field) => kindOnly[field] && kindOnly[field] !== tool.kind)
      .map((field) => ({ path: `json.${field}`, message: `not a field of ${tool.kind} tools` }));
    if (wrongKind.length > 0) throw new AppError('invalid_request', 'invalid request', wrongKind);
    const merged = toolDefinitionSchema.safeParse({ ...tool, ...input.changes });
    if (!merged.success) {
      throw new AppError(
        'invalid_request',
        'invalid request',
        merged.error.issues.map((issue) => ({
          path: ['json', ...issue.path].join('.'),
          message: issue.message,
        })),
      );
    }
    const definition = merged.data;
    const updated = await updateTool(tx, {
      ...tool,
      ...definition,
      injection: definition.kind === 'http' ? definition.injection : tool.injection,
      pricePer1kInputTokens: definition.pricePer1kInputTokens ?? null,
      pricePer1kOutputTokens: definition.pricePer1kOutputTokens ?? null,
    });
    await recordAudit(tx, {
      orgId: null,
      actor: principal,
      action: 'tool.updated',
      subjectType: 'tool',
      subjectId: tool.name,
      details: { fields: Object.keys(input.changes) },
    });
    return updated;
  });
}

/** A platform admin removes a tool; 409 while a submitted, published or deprecated version needs it. */
export async function removeTool(
  deps: Pick<ServiceDeps, 'db'>,
  principal: Principal,
  input: { name: string },
): Promise<void> {
  await withTransaction(deps.db, async (tx) => {
    const tool = await findTool(tx, input.name, true);
    if (!tool) throw notFound('tool');
    const users = await versionsRequiringTool(tx, tool.name);
    if (users.length > 0)
      throw conflict(`versions still require ${tool.name}: ${users.join(', ')}`, { versions: users });
    await deleteTool(tx, tool.name);
    await recordAudit(tx, {
      orgId: null,
      actor: principal,
      action: 'tool.deleted',
      subjectType: 'tool',
      subjectId: tool.name,
    });
  });
}
