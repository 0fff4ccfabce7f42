/**
 * The errors services and jobs raise. They carry a kind and a stable code, never an HTTP status: a job
 * runner records them as data, and the API's error handler maps kinds to statuses in one table.
 */
export type ErrorKind =
  'invalid' | 'not_found' | 'conflict' | 'forbidden' | 'precondition_failed' | 'too_large' | 'unavailable';

export interface FieldError {
  path: string;
  message: string;
  /** A stable machine-readable reason, where the rule has one (`invalid_siren_checksum`, ...). */
  code?: string;
}

export class AppError extends Error {
  override readonly name: string = 'AppError';
  constructor(
    readonly kind: ErrorKind,
    readonly code: string,
    detail: string,
    /** Extra members of the problem (RFC 9457 extensions), e.g. the id of the record a conflict is with. */
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(detail);
  }
}

/** A request or record that breaks a rule; `errors` names each field. */
export class ValidationError extends AppError {
  override readonly name = 'ValidationError';
  constructor(
    readonly errors: readonly FieldError[],
    detail = 'The request is not valid.',
    code = 'validation_failed',
  ) {
    super('invalid', code, detail);
  }
}

export class NotFoundError extends AppError {
  override readonly name = 'NotFoundError';
  constructor(detail = 'No such resource.', code = 'not_found') {
    super('not_found', code, detail);
  }
}

export class ForbiddenError extends AppError {
  override readonly name = 'ForbiddenError';
  constructor(detail: string, code = 'forbidden') {
    super('forbidden', code, detail);
  }
}

export class ConflictError extends AppError {
  override readonly name = 'ConflictError';
  constructor(detail: string, code = 'conflict', extensions: Readonly<Record<string, unknown>> = {}) {
    super('conflict', code, detail, extensions);
  }
}

/** An `If-Match` that no longer names the stored version. */
export class PreconditionFailedError extends AppError {
  override readonly name = 'PreconditionFailedError';
  constructor(detail: string, code = 'precondition_failed') {
    super('precondition_failed', code, detail);
  }
}

/** More of something than a configured limit allows (records per batch, bytes of a file). */
export class TooLargeError extends AppError {
  override readonly name = 'TooLargeError';
  constructor(detail: string, code = 'too_large') {
    super('too_large', code, detail);
  }
}
