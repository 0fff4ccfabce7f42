import { getScopedAuth } from '@prospectflow/auth-core';
import type { Request } from 'express';
import type { TenantScope } from '../tenant.js';

/** The typed tenant scope of a request that went through the organisation access chain. */
export function tenantOf(req: Request): TenantScope {
  const auth = getScopedAuth(req);
  return {
    organisationId: auth.organisation.organisationId,
    userId: auth.user.id,
    role: auth.role,
    correlationId: req.requestId,
  };
}
