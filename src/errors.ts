/** One entry of `error.details`; validation errors carry `instancePath`. */
export type ErrorDetail = Record<string, unknown>;

/**
 * Base of every error the API answers with; the error handler in app.ts turns
 * it into the API's error body `{error: {code, message, details}}`.
 */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: ErrorDetail[],
  ) {
    super(message);
  }
}

export class ValidationFailed extends AppError {
  override name = 'ValidationFailed';
  constructor(message: string, details: ErrorDetail[] = []) {
    super(400, 'validation_failed', message, details);
  }
}

export class BadRequest extends AppError {
  override name = 'BadRequest';
  constructor(message: string) {
    super(400, 'bad_request', message);
  }
}

export class Unauthenticated extends AppError {
  override name = 'Unauthenticated';
  constructor(message = 'Authentication required') {
    super(401, 'unauthenticated', message);
  }
}

export class InvalidCredentials extends AppError {
  override name = 'InvalidCredentials';
  constructor() {
    super(401, 'invalid_credentials', 'Wrong username or password');
  }
}

export class Forbidden extends AppError {
  override name = 'Forbidden';
  constructor(message = 'Not allowed', details?: ErrorDetail[]) {
    super(403, 'forbidden', message, details);
  }
}

export class NotFound extends AppError {
  override name = 'NotFound';
  constructor(what = 'Resource') {
    super(404, 'not_found', `${what} not found`);
  }
}

export class Conflict extends AppError {
  override name = 'Conflict';
  constructor(code: string, message: string, details?: ErrorDetail[]) {
    super(409, code, message, details);
  }
}

export class Unprocessable extends AppError {
  override name = 'Unprocessable';
  constructor(code: string, message: string, details?: ErrorDetail[]) {
    super(422, code, message, details);
  }
}

export class RateLimited extends AppError {
  override name = 'RateLimited';
  constructor(
    message = 'Too many requests',
    readonly retryAfterSeconds?: number,
  ) {
    // The wait in the body too, for clients that cannot read the Retry-After header.
    super(429, 'rate_limited', message, retryAfterSeconds ? [{ retryAfterSeconds }] : undefined);
  }
}

export class ServiceUnavailable extends AppError {
  override name = 'ServiceUnavailable';
  constructor(code: string, message: string, details?: ErrorDetail[]) {
    super(503, code, message, details);
  }
}
