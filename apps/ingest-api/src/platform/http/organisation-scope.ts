import type { RequestHandler } from 'express';
import { BadRequestError } from './errors.js';

/**
 * Routes with an :organisationId path parameter act in that organisation: the path names the scope, which the
 * auth-core scope middleware then checks against the session's memberships (a 403 and a cross_tenant_attempt
 * event when the caller is not a member). A different X-Organisation-Id header is a contradiction, so a 400.
 */
export const scopeFromPath: RequestHandler = (req, _res, next) => {
  const fromPath = req.params['organisationId'];
  const fromHeader = req.get('x-organisation-id');
  if (typeof fromPath === 'string') {
    if (fromHeader !== undefined && fromHeader.toLowerCase() !== fromPath.toLowerCase()) {
      throw new BadRequestError(
        'X-Organisation-Id does not match the organisation in the path.',
        'organisation_mismatch',
      );
    }
    req.headers['x-organisation-id'] = fromPath;
  }
  next();
};
