import type { Pool } from 'pg';
import type { ApiRoutes } from '../../platform/http/api-routes.js';
import { tenantOf } from '../../platform/http/tenant.js';
import type { Entity } from './crm.fields.js';
import type { Patch } from './crm.schemas.js';
import {
  companyDetailSchema,
  companyListQuery,
  companyListSchema,
  companyPatch,
  companySchema,
  idParams,
  ifMatchHeaders,
  personDetailSchema,
  personListQuery,
  personListSchema,
  personPatch,
  personSchema,
  positionDetailSchema,
  positionListQuery,
  positionListSchema,
  positionPatch,
  positionSchema,
} from './crm.schemas.js';
import { CrmService } from './crm.service.js';

/** The CRM: viewers read, members update, admins delete. Records are created by ingest and imports. */
export function registerCrmRoutes(routes: ApiRoutes, deps: { pool: Pool; statementTimeoutMs: number }): void {
  const service = new CrmService(deps);
  const tags = ['crm'];
  const etagHeader = { ETag: 'The version of the record; send it back in If-Match to update safely' };

  routes.add({
    method: 'get',
    path: '/companies',
    operationId: 'listCompanies',
    summary: 'List companies, newest first, with filters and cursor pagination',
    tags,
    access: 'organisation',
    query: companyListQuery,
    responses: { 200: { description: 'A page of companies', schema: companyListSchema } },
    handler: async ({ req, query }) => ({
      status: 200,
      body: await service.listCompanies(tenantOf(req), query),
    }),
  });
  routes.add({
    method: 'get',
    path: '/people',
    operationId: 'listPeople',
    summary: 'List people, newest first, with filters and cursor pagination',
    tags,
    access: 'organisation',
    query: personListQuery,
    responses: { 200: { description: 'A page of people', schema: personListSchema } },
    handler: async ({ req, query }) => ({
      status: 200,
      body: await service.listPeople(tenantOf(req), query),
    }),
  });
  routes.add({
    method: 'get',
    path: '/positions',
    operationId: 'listPositions',
    summary: 'List positions (a person at a company), newest first, with filters and cursor pagination',
    tags,
    access: 'organisation',
    query: positionListQuery,
    responses: { 200: { description: 'A page of positions', schema: positionListSchema } },
    handler: async ({ req, query }) => ({
      status: 200,
      body: await service.listPositions(tenantOf(req), query),
    }),
  });

  const entities = [
    {
      entity: 'company',
      path: '/companies/:id',
      name: 'Company',
      detail: companyDetailSchema,
      schema: companySchema,
      patch: companyPatch,
      get: service.getCompany.bind(service),
      cascade: 'Its positions are deleted with it.',
    },
    {
      entity: 'person',
      path: '/people/:id',
      name: 'Person',
      detail: personDetailSchema,
      schema: personSchema,
      patch: personPatch,
      get: service.getPerson.bind(service),
      cascade: 'Their positions are deleted with them.',
    },
    {
      entity: 'position',
      path: '/positions/:id',
      name: 'Position',
      detail: positionDetailSchema,
      schema: positionSchema,
      patch: positionPatch,
      get: service.getPosition.bind(service),
      cascade: 'The person and the company stay.',
    },
  ] as const;

  for (const spec of entities) {
    const entity: Entity = spec.entity;
    routes.add({
      method: 'get',
      path: spec.path,
      operationId: `get${spec.name}`,
      summary: `Read a ${entity} with its linked records`,
      tags,
      access: 'organisation',
      params: idParams,
      responses: { 200: { description: `The ${entity}`, schema: spec.detail, headers: etagHeader } },
      handler: async ({ req, params }) => {
        const { value, etag } = await spec.get(tenantOf(req), params.id);
        return { status: 200, body: value, headers: { ETag: etag } };
      },
    });
    routes.add({
      method: 'patch',
      path: spec.path,
      operationId: `update${spec.name}`,
      summary: `Change fields of a ${entity} (member); checked by the ingest rules, If-Match for safe updates`,
      tags,
      access: 'organisation',
      minimumRole: 'member',
      params: idParams,
      body: spec.patch,
      headers: ifMatchHeaders,
      errors: [409, 412],
      responses: {
        200: { description: `The ${entity} after the change`, schema: spec.schema, headers: etagHeader },
      },
      handler: async ({ req, params, body, headers }) => {
        const { value, etag } = await service.patch(
          tenantOf(req),
          entity,
          params.id,
          body as Patch,
          headers['if-match'] ?? null,
        );
        return { status: 200, body: value, headers: { ETag: etag } };
      },
    });
    routes.add({
      method: 'delete',
      path: spec.path,
      operationId: `delete${spec.name}`,
      summary: `Delete a ${entity} (admin). ${spec.cascade}`,
      tags,
      access: 'organisation',
      minimumRole: 'admin',
      params: idParams,
      responses: { 204: { description: `Deleted. ${spec.cascade}` } },
      handler: async ({ req, params }) => {
        await service.remove(tenantOf(req), entity, params.id);
        return { status: 204 };
      },
    });
  }
}
