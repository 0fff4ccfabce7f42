/**
 * Errors of the HTTP layer itself (a malformed request, a method or media type the route does not take, a
 * rate limit). Services and jobs throw the status-free family of `platform/errors.ts` instead; exactly one
 * place, the error handler, turns any error into problem+json.
 */
export class ApiError extends Error {
  override readonly name: string = 'ApiError';
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly code: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(detail);
  }
}

export class BadRequestError extends ApiError {
  override readonly name = 'BadRequestError';
  constructor(detail: string, code = 'bad_request') {
    super(400, 'Bad request', detail, code);
  }
}

export class MethodNotAllowedError extends ApiError {
  override readonly name = 'MethodNotAllowedError';
  constructor(method: string, allowed: readonly string[]) {
    super(
      405,
      'Method not allowed',
      `${method} is not allowed here. Allowed: ${allowed.join(', ')}.`,
      'method_not_allowed',
      {
        Allow: allowed.join(', '),
      },
    );
  }
}

export class UnsupportedMediaTypeError extends ApiError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(received: string | undefined, expected: string) {
    super(
      415,
      'Unsupported media type',
      `Expected ${expected}, received ${received ?? 'no Content-Type'}.`,
      'unsupported_media_type',
    );
  }
}

export class TooManyRequestsError extends ApiError {
  override readonly name = 'TooManyRequestsError';
  constructor(retryAfterSeconds: number, headers: Record<string, string>) {
    super(429, 'Too many requests', `Rate limit exceeded; retry in ${retryAfterSeconds} s.`, 'rate_limited', {
      ...headers,
      'Retry-After': String(retryAfterSeconds),
    });
  }
}
