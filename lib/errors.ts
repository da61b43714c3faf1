// The spec's error table, and nothing else. Every class sets `name` to a string literal so that
// minified bundles keep it: Step Functions Retry/Catch and the HTTP mapping both match on it.

export type ProviderKey = 'modelarts' | 'bcc';

/** What we learned from the provider about a failed call; safe to log and to return. */
export interface UpstreamFacts {
  provider: ProviderKey;
  status?: number;
  code?: string;
  requestId?: string;
  attempts?: number;
}

export interface ImageErrorOptions {
  cause?: unknown;
  /** The input field at fault (InvalidRequest). */
  field?: string;
  upstream?: UpstreamFacts;
  /** Seconds a caller should wait before trying again (UpstreamThrottled). */
  retryAfterSeconds?: number;
}

export abstract class ImageError extends Error {
  abstract override readonly name: ErrorName;
  abstract readonly code: string;
  abstract readonly httpStatus: number;
  /** Worth trying again later with the same input. */
  readonly retryable: boolean = false;
  readonly field: string | undefined;
  readonly upstream: UpstreamFacts | undefined;
  readonly retryAfterSeconds: number | undefined;

  constructor(message: string, options: ImageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
    this.upstream = options.upstream;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export class InvalidRequest extends ImageError {
  override readonly name = 'InvalidRequest';
  readonly code = 'INVALID_REQUEST';
  readonly httpStatus = 400;
}

export class ImageProtected extends ImageError {
  override readonly name = 'ImageProtected';
  readonly code = 'IMAGE_PROTECTED';
  readonly httpStatus = 403;
}

export class ImageNotFound extends ImageError {
  override readonly name = 'ImageNotFound';
  readonly code = 'IMAGE_NOT_FOUND';
  readonly httpStatus = 404;
}

export class ImageBusy extends ImageError {
  override readonly name = 'ImageBusy';
  readonly code = 'IMAGE_BUSY';
  readonly httpStatus = 409;
}

export class UpstreamAuthFailed extends ImageError {
  override readonly name = 'UpstreamAuthFailed';
  readonly code = 'UPSTREAM_AUTH_FAILED';
  readonly httpStatus = 502;
}

export class UpstreamBadResponse extends ImageError {
  override readonly name = 'UpstreamBadResponse';
  readonly code = 'UPSTREAM_BAD_RESPONSE';
  readonly httpStatus = 502;
}

export class UpstreamUnavailable extends ImageError {
  override readonly name = 'UpstreamUnavailable';
  readonly code = 'UPSTREAM_UNAVAILABLE';
  readonly httpStatus = 502;
  override readonly retryable = true;
}

export class UpstreamThrottled extends ImageError {
  override readonly name = 'UpstreamThrottled';
  readonly code = 'UPSTREAM_THROTTLED';
  readonly httpStatus = 503;
  override readonly retryable = true;
}

export class UpstreamTimeout extends ImageError {
  override readonly name = 'UpstreamTimeout';
  readonly code = 'UPSTREAM_TIMEOUT';
  readonly httpStatus = 504;
  override readonly retryable = true;
}

export class ConfigurationError extends ImageError {
  override readonly name = 'ConfigurationError';
  readonly code = 'CONFIGURATION_ERROR';
  readonly httpStatus = 500;
}

/** Every error name a caller can match on, in the spec's order. */
export const ERROR_NAMES = [
  'InvalidRequest',
  'ImageProtected',
  'ImageNotFound',
  'ImageBusy',
  'UpstreamAuthFailed',
  'UpstreamBadResponse',
  'UpstreamUnavailable',
  'UpstreamThrottled',
  'UpstreamTimeout',
  'ConfigurationError',
] as const;
export type ErrorName = (typeof ERROR_NAMES)[number];

export const isImageError = (error: unknown): error is ImageError => error instanceof ImageError;
