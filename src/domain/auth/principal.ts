import { z } from 'zod';

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

/**
 * The caller as an organisation key. Routes declared for organisation keys call it after their access
 * was enforced, so a platform key reaching one is a wrongly declared route, not a caller's mistake.
 */
export function asOrgPrincipal(principal: Principal): OrgPrincipal {
  if (principal.orgId === null || (principal.role !== 'admin' && principal.role !== 'member')) {
    throw new Error(
      'a route for organisation keys was reached by a platform key: its declared access is wrong',
    );
  }
  return principal as OrgPrincipal;
}
