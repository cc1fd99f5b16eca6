import { z } from 'zod';
import { forbidden } from '../errors.js';

/** Roles an organisation's key can carry. */
export const orgRoleSchema = z.enum(['admin', 'member']);
/** Roles a platform key can carry. */
export const platformRoleSchema = z.enum(['platform-admin', 'reviewer']);
/** Any key role. */
export type Role = z.infer<typeof orgRoleSchema> | z.infer<typeof platformRoleSchema>;

/** The authenticated caller: a key, its role, and its organisation (null for platform keys). */
export interface Principal {
  keyId: string;
  role: Role;
  orgId: string | null;
}

/** An organisation key's caller, with its organisation known. */
export type OrgPrincipal = Principal & { orgId: string; role: 'admin' | 'member' };

/** True for platform-admin and reviewer keys. */
export function isPlatform(principal: Principal): boolean {
  return principal.orgId === null;
}

/** Requires one of the given roles, else 403. */
export function requireRole(principal: Principal, ...roles: Role[]): void {
  if (!roles.includes(principal.role))
    throw forbidden(`this action needs one of the roles: ${roles.join(', ')}`);
}

/** Requires an organisation key (admin or member, or admin only), else 403; returns it narrowed. */
export function requireOrg(principal: Principal, adminOnly = false): OrgPrincipal {
  const allowed: Role[] = adminOnly ? ['admin'] : ['admin', 'member'];
  if (principal.orgId === null || !allowed.includes(principal.role)) {
    throw forbidden(
      adminOnly ? 'this action needs an organisation admin key' : 'this action needs an organisation key',
    );
  }
  return principal as OrgPrincipal;
}
