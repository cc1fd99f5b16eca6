import type { Queryable } from '../../db/pool.js';
import type { Manifest } from '../catalog/schemas.js';
import { AppError } from '../errors.js';
import { listTools, type Tool } from './tools.js';

/**
 * The catalog tools a manifest declares, or a 422: every requiredTools entry must name a catalog
 * tool, and no requiredCredentials entry may repeat a declared tool's credential (the gateway
 * injects that one upstream; it must never be given to the agent).
 */
export async function assertDeclarableTools(
  db: Queryable,
  manifest: Pick<Manifest, 'requiredTools' | 'requiredCredentials'>,
): Promise<Tool[]> {
  if (manifest.requiredTools.length === 0) return [];
  const tools = await listTools(db, manifest.requiredTools);
  const known = new Set(tools.map((tool) => tool.name));
  const unknown = manifest.requiredTools.filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new AppError(
      'rule_violation',
      `requiredTools names tools the catalog does not have: ${unknown.join(', ')}; see GET /v1/tools`,
      { unknownTools: unknown },
    );
  }
  const toolCredentials = new Map(tools.map((tool) => [tool.credentialName, tool.name]));
  const given = manifest.requiredCredentials
    .map((credential) => credential.name)
    .filter((name) => toolCredentials.has(name));
  if (given.length > 0) {
    throw new AppError(
      'rule_violation',
      `requiredCredentials repeats the credentials of declared tools (${given
        .map((name) => `${name} of ${toolCredentials.get(name)}`)
        .join(', ')}): the gateway uses them upstream and never gives them to the agent; remove them`,
      { toolCredentials: given },
    );
  }
  return tools;
}
