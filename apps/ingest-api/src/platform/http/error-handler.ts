import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import {
  CheckViolationError,
  DatabaseError,
  DatabaseUnavailableError,
  ForeignKeyViolationError,
  InvalidInputError,
  NotNullViolationError,
  QueryCanceledError,
  RowLevelSecurityError,
  TransactionConflictError,
  UniqueViolationError,
} from '../db/errors.js';
import { AppError, NotFoundError, ValidationError, type ErrorKind, type FieldError } from '../errors.js';
import { ApiError, MethodNotAllowedError } from './errors.js';
import { sendProblem } from './problem.js';

/** What an error becomes on the wire. */
export interface MappedProblem {
  status: number;
  title: string;
  detail: string;
  code: string;
  headers?: Record<string, string>;
  errors?: FieldError[];
  extensions?: Readonly<Record<string, unknown>>;
}

/** The one table from the status-free error kinds of services and jobs to HTTP. */
const KIND_STATUS: Record<ErrorKind, { status: number; title: string }> = {
  invalid: { status: 422, title: 'Validation failed' },
  not_found: { status: 404, title: 'Not found' },
  conflict: { status: 409, title: 'Conflict' },
  forbidden: { status: 403, title: 'Forbidden' },
  precondition_failed: { status: 412, title: 'Precondition failed' },
  too_large: { status: 413, title: 'Payload too large' },
  unavailable: { status: 503, title: 'Service unavailable' },
};

function mapAppError(error: AppError): MappedProblem {
  const { status, title } = KIND_STATUS[error.kind];
  return {
    status,
    title,
    detail: error.message,
    code: error.code,
    ...(error instanceof ValidationError ? { errors: [...error.errors] } : {}),
    ...(Object.keys(error.extensions).length > 0 ? { extensions: error.extensions } : {}),
    ...(error.kind === 'unavailable' ? { headers: { 'Retry-After': '5' } } : {}),
  };
}

/** Maps errors of a library (auth-core) to a problem; returns null for errors it does not own. */
export type ErrorMapper = (error: unknown) => MappedProblem | null;

interface BodyParserError {
  type: string;
  status?: number;
  expose?: boolean;
  limit?: number;
}

function isBodyParserError(error: unknown): error is BodyParserError {
  return (
    error instanceof Error && typeof (error as { type?: unknown }).type === 'string' && 'expose' in error
  );
}

function mapBodyParserError(error: BodyParserError): MappedProblem | null {
  switch (error.type) {
    case 'entity.parse.failed':
      return {
        status: 400,
        title: 'Malformed JSON',
        detail: 'The request body is not valid JSON.',
        code: 'malformed_json',
      };
    case 'entity.too.large':
      return {
        status: 413,
        title: 'Body too large',
        // The parser that refused the body says which limit it applied (routes have their own).
        detail: `The request body exceeds ${error.limit ?? 'the limit of'} bytes.`,
        code: 'body_too_large',
      };
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        status: 415,
        title: 'Unsupported media type',
        detail: 'The body encoding or charset is not supported; send UTF-8.',
        code: 'unsupported_media_type',
      };
    case 'request.aborted':
      return {
        status: 400,
        title: 'Request aborted',
        detail: 'The client aborted the request body.',
        code: 'request_aborted',
      };
    case 'request.size.invalid':
      return {
        status: 400,
        title: 'Bad request',
        detail: 'The body length does not match Content-Length.',
        code: 'bad_request',
      };
    default:
      return null;
  }
}

function mapDatabaseError(error: DatabaseError): MappedProblem {
  const constraint = error.constraint ? ` (${error.constraint})` : '';
  if (error instanceof DatabaseUnavailableError || error instanceof QueryCanceledError) {
    return {
      status: 503,
      title: 'Service unavailable',
      detail:
        error instanceof QueryCanceledError
          ? 'The database did not answer in time.'
          : 'The database is unavailable.',
      code: 'database_unavailable',
      headers: { 'Retry-After': '5' },
    };
  }
  if (error instanceof UniqueViolationError) {
    return {
      status: 409,
      title: 'Conflict',
      detail: `A record with the same unique value already exists${constraint}.`,
      code: 'duplicate',
    };
  }
  if (error instanceof ForeignKeyViolationError) {
    return {
      status: 409,
      title: 'Conflict',
      detail: `A referenced record does not exist, or is still referenced${constraint}.`,
      code: 'reference_conflict',
    };
  }
  if (error instanceof CheckViolationError || error instanceof NotNullViolationError) {
    return {
      status: 422,
      title: 'Validation failed',
      detail: `A value breaks a data rule${constraint}.`,
      code: 'constraint_violation',
    };
  }
  if (error instanceof InvalidInputError) {
    return {
      status: 400,
      title: 'Bad request',
      detail: 'A value has the wrong format for its field.',
      code: 'invalid_value',
    };
  }
  if (error instanceof RowLevelSecurityError) {
    return {
      status: 403,
      title: 'Forbidden',
      detail: 'The record belongs to another organisation.',
      code: 'cross_tenant_write',
    };
  }
  if (error instanceof TransactionConflictError) {
    return {
      status: 409,
      title: 'Conflict',
      detail: 'A concurrent change conflicted with this one; retry.',
      code: 'concurrent_change',
      headers: { 'Retry-After': '1' },
    };
  }
  return {
    status: 500,
    title: 'Internal server error',
    detail: 'An unexpected error occurred.',
    code: 'internal_error',
  };
}

/**
 * The one place where any error becomes application/problem+json. Unknown errors are 500s with nothing of
 * their internals in the response, logged with their stack.
 */
export function errorHandler(options: {
  logger: Logger;
  mappers: readonly ErrorMapper[];
}): ErrorRequestHandler {
  return (error: unknown, req, res, next) => {
    if (res.headersSent) {
      next(error);
      return;
    }
    let mapped: MappedProblem | null = null;
    if (error instanceof AppError) {
      mapped = mapAppError(error);
    } else if (error instanceof ApiError) {
      mapped = {
        status: error.status,
        title: error.title,
        detail: error.message,
        code: error.code,
        headers: { ...error.headers },
      };
    } else if (error instanceof DatabaseError) {
      mapped = mapDatabaseError(error);
    } else if (isBodyParserError(error)) {
      mapped = mapBodyParserError(error);
    }
    for (const mapper of options.mappers) {
      if (mapped !== null) break;
      mapped = mapper(error);
    }
    mapped ??= {
      status: 500,
      title: 'Internal server error',
      detail: 'An unexpected error occurred.',
      code: 'internal_error',
    };

    const log = (req as Request & { log?: Logger }).log ?? options.logger;
    if (mapped.status >= 500) log.error({ err: error, requestId: req.requestId }, 'request failed');
    else if (mapped.status !== 404)
      log.debug({ code: mapped.code, status: mapped.status }, 'request refused');

    sendProblem(
      res,
      {
        ...mapped.extensions,
        title: mapped.title,
        status: mapped.status,
        detail: mapped.detail,
        instance: req.originalUrl.split('?')[0] ?? req.originalUrl,
        requestId: req.requestId,
        code: mapped.code,
        ...(mapped.errors ? { errors: mapped.errors } : {}),
      },
      mapped.headers ?? {},
    );
  };
}

/** 405 with Allow for a known path and another method, else 404. */
export function notFound(allowedMethods: (path: string) => string[]): RequestHandler {
  return (req) => {
    const allowed = allowedMethods(req.path);
    if (allowed.length > 0) throw new MethodNotAllowedError(req.method, allowed);
    throw new NotFoundError(`No route for ${req.method} ${req.path}.`);
  };
}
