import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { pipeline, type Readable } from 'node:stream';
import express, { type Request, type RequestHandler, type Response, type Router } from 'express';
import type { ZodObject, ZodType } from 'zod';
import type { RateLimitGroup } from '../config/config.js';
import { ValidationError, type FieldError } from '../errors.js';
import { UnsupportedMediaTypeError } from './errors.js';
import { problemSchema } from './problem.js';
import { openUpload, type Upload } from './upload.js';
import { z } from './zod.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
export type Role = 'viewer' | 'member' | 'admin' | 'owner';

/** How much of the auth chain a route needs: none, a verified user with a session, or an organisation scope. */
export type Access = 'public' | 'user' | 'organisation';

export interface HandlerInput<P, Q, B, H = Record<string, never>> {
  params: P;
  query: Q;
  body: B;
  /** The request headers the route declares, validated (names in lower case). */
  headers: H;
  /** The file of a `stream` route (null for JSON routes). */
  upload: Upload | null;
  req: Request;
  res: Response;
}

export interface HandlerResult {
  status: number;
  /** Sent as JSON unless contentType is given, in which case it is sent as is. */
  body?: unknown;
  /**
   * Piped to the response with backpressure (contentType required). An error after the headers are sent
   * cannot become a problem any more: the connection is destroyed so the client sees a truncated transfer.
   */
  stream?: Readable;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RouteSpec<P = unknown, Q = unknown, B = unknown, H = Record<string, never>> {
  method: Method;
  /** Express-style path relative to the mount point, e.g. `/organisations/:organisationId`. */
  path: string;
  operationId: string;
  summary: string;
  tags: string[];
  access: Access;
  minimumRole?: Role;
  rateLimitGroup?: RateLimitGroup;
  params?: ZodType<P>;
  /** A zod object, made strict when mounted; a route without one refuses any query parameter. */
  query?: ZodType<Q>;
  body?: ZodType<B>;
  /**
   * How the body is read: JSON (the default; parsed with the app's limit or the route's own), or a file
   * streamed to the handler (`multipart/form-data` or one of `mediaTypes` as a raw body) with the route's own
   * byte limit. Bodies are read after authentication, so an anonymous client cannot make the API parse one.
   */
  request?: RequestBody;
  /** Request headers the route reads (lower-case names), validated and documented; others are ignored. */
  headers?: ZodObject & ZodType<H>;
  responses: Record<number, { description: string; schema?: ZodType; headers?: Record<string, string> }>;
  /** Error statuses the route can answer besides the ones every route of its kind has (409, 412, 413...). */
  errors?: readonly number[];
  handler: (input: HandlerInput<P, Q, B, H>) => Promise<HandlerResult>;
}

export type RequestBody =
  | { kind: 'json'; limitBytes?: number }
  | { kind: 'stream'; mediaTypes: readonly string[]; limitBytes: number; description: string };

export interface AccessMiddlewares {
  /** Verifies the token and loads the session. */
  user: readonly RequestHandler[];
  /** `user`, then resolves the active organisation. */
  organisation: readonly RequestHandler[];
  requireRole: (role: Role) => RequestHandler;
  rateLimit: (group: RateLimitGroup) => RequestHandler;
}

const ERROR_RESPONSES: Record<number, string> = {
  400: 'Malformed request',
  401: 'Missing or invalid token',
  403: 'Not allowed in this organisation',
  404: 'Not found',
  405: 'Method not allowed',
  409: 'Conflict',
  412: 'The record changed since it was read (If-Match)',
  413: 'Body too large',
  415: 'Unsupported media type',
  422: 'Validation failed',
  429: 'Rate limit exceeded',
  503: 'A dependency is unavailable',
};

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function toMatcher(path: string): RegExp {
  const pattern = path
    .split('/')
    .map((segment) => (segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${pattern}/?$`);
}

interface ZodIssueLike {
  code?: string;
  path: readonly PropertyKey[];
  message: string;
  keys?: readonly string[];
}

function zodIssues(error: { issues: readonly ZodIssueLike[] }, prefix: string): FieldError[] {
  const join = (path: readonly PropertyKey[]) => [prefix, ...path.map(String)].filter(Boolean).join('.');
  const unknown = prefix === 'query' ? 'unknown query parameter' : 'unknown field';
  // One error per unknown key, at the key's own path, so the client sees which parameter or field to drop.
  return error.issues.flatMap((issue) =>
    issue.code === 'unrecognized_keys' && issue.keys
      ? issue.keys.map((key) => ({ path: join([...issue.path, key]), message: unknown }))
      : [{ path: join(issue.path), message: issue.message }],
  );
}

const NO_QUERY = z.object({}).strict();

const BODY_METHODS = new Set<Method>(['post', 'put', 'patch']);
const JSON_TYPES = ['application/json', 'application/*+json'];

/** A body in anything but JSON is refused rather than silently ignored by the JSON parser. */
const jsonOnly: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
  if (hasBody && !req.is(JSON_TYPES))
    throw new UnsupportedMediaTypeError(req.get('content-type'), 'application/json');
  next();
};

function send(res: Response, result: HandlerResult): void {
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
  res.status(result.status);
  if (result.stream) {
    if (result.contentType) res.type(result.contentType);
    pipeline(result.stream, res, (error) => {
      if (error) res.destroy(error);
    });
  } else if (result.body === undefined) res.end();
  else if (result.contentType) res.type(result.contentType).send(result.body);
  else res.json(result.body);
}

/** The query schema a route validates with: its own made strict, or one that accepts no parameter at all. */
function strictQuery(route: { operationId: string; query?: ZodType }): ZodType {
  if (route.query === undefined) return NO_QUERY;
  if (!(route.query instanceof z.ZodObject)) {
    throw new TypeError(`route ${route.operationId}: the query schema must be a zod object`);
  }
  return (route.query as ZodObject).strict();
}

function parsePart<T>(
  schema: ZodType<T> | undefined,
  value: unknown,
  prefix: string,
  errors: FieldError[],
): T {
  if (schema === undefined) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) {
    errors.push(...zodIssues(result.error, prefix));
    return undefined as T;
  }
  return result.data;
}

/**
 * The one list of routes: it mounts them on Express with the right middleware chain and validation, answers
 * 405 for a known path with another method, and generates the OpenAPI document from the same zod schemas that
 * validate the requests.
 */
export class ApiRoutes {
  readonly #routes: RouteSpec<never, never, never>[] = [];
  /** Path matchers compiled once at registration, for the 405 lookup of unmatched requests. */
  readonly #matchers: { matcher: RegExp; method: string }[] = [];

  constructor(readonly basePath: string) {}

  add<P, Q, B, H = Record<string, never>>(spec: RouteSpec<P, Q, B, H>): void {
    this.#routes.push(spec as unknown as RouteSpec<never, never, never>);
    this.#matchers.push({ matcher: toMatcher(spec.path), method: spec.method.toUpperCase() });
  }

  get routes(): readonly RouteSpec<never, never, never>[] {
    return this.#routes;
  }

  /** The methods registered for a concrete path below the base path, or [] if the path is unknown. */
  allowedMethods(path: string): string[] {
    const methods = this.#matchers.filter(({ matcher }) => matcher.test(path)).map(({ method }) => method);
    return [...new Set(methods)];
  }

  mount(router: Router, access: AccessMiddlewares, options: { jsonLimitBytes: number }): void {
    for (const route of this.#routes) {
      const querySchema = strictQuery(route);
      const request = route.request ?? { kind: 'json' };
      const chain: RequestHandler[] = [];
      if (route.access === 'user') chain.push(...access.user);
      if (route.access === 'organisation') chain.push(...access.organisation);
      if (route.minimumRole) chain.push(access.requireRole(route.minimumRole));
      if (route.access !== 'public') chain.push(access.rateLimit(route.rateLimitGroup ?? 'default'));
      if (request.kind === 'json' && BODY_METHODS.has(route.method)) {
        const limit = request.limitBytes ?? options.jsonLimitBytes;
        chain.push(jsonOnly, express.json({ limit, strict: true, type: JSON_TYPES }));
      }
      chain.push(async (req, res) => {
        const errors: FieldError[] = [];
        const params = parsePart(route.params, req.params, 'params', errors);
        const query = parsePart(querySchema, req.query ?? {}, 'query', errors) as never;
        const body =
          request.kind === 'json'
            ? parsePart(route.body, req.body ?? {}, 'body', errors)
            : (undefined as never);
        const headers = (
          route.headers ? parsePart(route.headers, req.headers, 'headers', errors) : {}
        ) as never;
        if (errors.length > 0) throw new ValidationError(errors);
        const upload = request.kind === 'stream' ? await openUpload(req, request) : null;
        send(res, await route.handler({ params, query, body, headers, upload, req, res }));
      });
      router[route.method](route.path, ...chain);
    }
  }
}

/** The request body of a stream route: a form with a file, or the file's bytes as they are. */
function uploadContent(request: Extract<RequestBody, { kind: 'stream' }>) {
  const binary = z.string().openapi({ format: 'binary', description: request.description });
  return {
    'multipart/form-data': { schema: z.object({ file: binary }) },
    ...Object.fromEntries(request.mediaTypes.map((type) => [type, { schema: binary }])),
  };
}

/** One OpenAPI 3.1 document for several route sets, generated from the zod schemas that validate them. */
export function buildOpenApiDocument(
  info: { title: string; version: string; description: string },
  routeSets: readonly ApiRoutes[],
  extraPaths: (registry: OpenAPIRegistry) => void = () => undefined,
): object {
  const registry = new OpenAPIRegistry();
  const bearer = registry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An AWS Cognito ID or access token (or a local dev token from `pnpm dev:token`).',
  });
  registry.register('Problem', problemSchema);
  const orgHeader = z
    .string()
    .uuid()
    .optional()
    .openapi({ description: "Organisation to act in; defaults to the session's active organisation." });
  for (const set of routeSets) {
    for (const route of set.routes) {
      const responses: Record<
        string,
        {
          description: string;
          content?: Record<string, { schema: ZodType }>;
          headers?: Record<string, { description: string; schema: { type: 'string' } }>;
        }
      > = {};
      for (const [status, response] of Object.entries(route.responses)) {
        const headers = response.headers
          ? Object.fromEntries(
              Object.entries(response.headers).map(([name, description]) => [
                name,
                { description, schema: { type: 'string' as const } },
              ]),
            )
          : undefined;
        responses[status] = {
          description: response.description,
          ...(response.schema ? { content: { 'application/json': { schema: response.schema } } } : {}),
          ...(headers ? { headers } : {}),
        };
      }
      const errorStatuses = [400, 429, 503, ...(route.access === 'public' ? [] : [401, 403, 422])];
      if (route.params) errorStatuses.push(404);
      if (route.body || route.request?.kind === 'stream') errorStatuses.push(413, 415);
      errorStatuses.push(...(route.errors ?? []));
      for (const status of errorStatuses) {
        responses[status] ??= {
          description: ERROR_RESPONSES[status] ?? 'Error',
          content: { 'application/problem+json': { schema: problemSchema } },
        };
      }
      registry.registerPath({
        method: route.method,
        path: `${set.basePath}${toOpenApiPath(route.path)}`,
        operationId: route.operationId,
        summary: route.summary,
        tags: route.tags,
        ...(route.access === 'public' ? {} : { security: [{ [bearer.name]: [] }] }),
        request: {
          ...(route.params ? { params: route.params as never } : {}),
          ...(route.query ? { query: route.query as never } : {}),
          ...(route.access === 'organisation' || route.headers
            ? {
                headers: z.object({
                  ...(route.access === 'organisation' ? { 'x-organisation-id': orgHeader } : {}),
                  ...(route.headers?.shape ?? {}),
                }),
              }
            : {}),
          ...(route.request?.kind === 'stream'
            ? { body: { content: uploadContent(route.request), required: true } }
            : route.body
              ? { body: { content: { 'application/json': { schema: route.body } }, required: true } }
              : {}),
        },
        responses,
      });
    }
  }
  extraPaths(registry);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info,
    servers: [{ url: '/' }],
  });
}
