import type { Role } from '@prospectflow/auth-core/types';

/**
 * Who acts, in which organisation, for which request: what a service needs to open a tenant transaction and
 * to check a rule that depends on the role. Built from a request by `tenantOf(req)`, or by a job from the
 * row it claimed.
 */
export interface TenantScope {
  readonly organisationId: string;
  /** The acting user, recorded by the audit trail; null for system work. */
  readonly userId: string | null;
  readonly role: Role;
  /** The request id (or job id), recorded by the audit trail. */
  readonly correlationId: string;
}
