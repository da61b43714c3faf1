// The error table's rows as classes. Every class sets `name` to a string literal so that minified
// bundles keep it (Step Functions Retry/Catch and the HTTP mapping both match on it); status, code
// and retryability come from the one table (error-table.ts).

import { ERROR_TABLE, type ErrorName } from './error-table.js';

/** What we learned from the provider about a failed call; safe to log and to return. */
export interface UpstreamFacts {
  provider: string;
  status?: number | undefined;
  code?: string | undefined;
  requestId?: string | undefined;
  attempts?: number | undefined;
}

export interface ImageErrorOptions {
  cause?: unknown;
  /** The input field at fault (InvalidRequest). */
  field?: string;
  upstream?: UpstreamFacts;
  /** Seconds a caller should wait before trying again (UpstreamThrottled, CredentialsUnavailable). */
  retryAfterSeconds?: number;
  /**
   * For the log line only, never for the caller: what the message leaves out on purpose (an AWS
   * error text with an ARN or account id, say).
   */
  logDetail?: string;
}

export abstract class ImageError extends Error {
  abstract override readonly name: ErrorName;
  readonly field: string | undefined;
  readonly upstream: UpstreamFacts | undefined;
  readonly retryAfterSeconds: number | undefined;
  readonly logDetail: string | undefined;

  constructor(message: string, options: ImageErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.field = options.field;
    this.upstream = options.upstream;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.logDetail = options.logDetail;
  }

  get code(): string {
    return ERROR_TABLE[this.name].code;
  }

  get httpStatus(): number {
    return ERROR_TABLE[this.name].httpStatus;
  }

  /** Worth trying again later with the same input. */
  get retryable(): boolean {
    return ERROR_TABLE[this.name].retryable;
  }
}

export class InvalidRequest extends ImageError {
  override readonly name = 'InvalidRequest';
}

export class ImageProtected extends ImageError {
  override readonly name = 'ImageProtected';
}

export class ImageNotFound extends ImageError {
  override readonly name = 'ImageNotFound';
}

export class PlanNotFound extends ImageError {
  override readonly name = 'PlanNotFound';
}

export class ImageBusy extends ImageError {
  override readonly name = 'ImageBusy';
}

export class UpstreamAuthFailed extends ImageError {
  override readonly name = 'UpstreamAuthFailed';
}

export class UpstreamBadResponse extends ImageError {
  override readonly name = 'UpstreamBadResponse';
}

export class UpstreamUnavailable extends ImageError {
  override readonly name = 'UpstreamUnavailable';
}

export class UpstreamThrottled extends ImageError {
  override readonly name = 'UpstreamThrottled';
}

export class UpstreamTimeout extends ImageError {
  override readonly name = 'UpstreamTimeout';
}

export class CredentialsUnavailable extends ImageError {
  override readonly name = 'CredentialsUnavailable';
}

export class StoreUnavailable extends ImageError {
  override readonly name = 'StoreUnavailable';
}

export class ConfigurationError extends ImageError {
  override readonly name = 'ConfigurationError';
}

const CLASSES: {
  [N in ErrorName]: new (
    message: string,
    options?: ImageErrorOptions,
  ) => ImageError;
} = {
  InvalidRequest,
  ImageProtected,
  ImageNotFound,
  PlanNotFound,
  ImageBusy,
  UpstreamAuthFailed,
  UpstreamBadResponse,
  UpstreamUnavailable,
  UpstreamThrottled,
  UpstreamTimeout,
  CredentialsUnavailable,
  StoreUnavailable,
  ConfigurationError,
};

/** The error of that name (a cloud's failure rules name the error they map to). */
export const errorNamed = (
  name: ErrorName,
  message: string,
  options?: ImageErrorOptions,
): ImageError => new CLASSES[name](message, options);

export const isImageError = (error: unknown): error is ImageError => error instanceof ImageError;
