// How a failed AWS SDK call is read, for every AWS service the functions use (Secrets Manager, S3,
// DynamoDB): its error name, its HTTP status, a detail line for the log, and whether it is the
// deployment's fault (a name the caller lists), transient (throttling, 5xx, no answer at all:
// already retried by the SDK, so retryable by the caller) or anything else.

/** AWS error names that mean "passing: try again" whatever the service. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'SlowDown',
  'InternalServerError',
  'InternalServiceError',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TransactionInProgressException',
]);

/** The SDK's error name (older clients put it in `code`). */
export const awsErrorName = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    if (error.name === 'Error' && typeof code === 'string') return code;
    return error.name;
  }
  return 'UnknownError';
};

const httpStatusOf = (error: unknown): number | undefined => {
  const status = (error as { $metadata?: { httpStatusCode?: unknown } } | undefined)?.$metadata
    ?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
};

/**
 * `<subject>: <name> (HTTP <status>): <AWS text>`: for the log line only (it may quote ARNs). A
 * reply the SDK could not parse is said so without its text: JSON.parse quotes the reply around
 * the fault, and a GetSecretValue reply holds the secret.
 */
export const awsLogDetail = (subject: string, error: unknown): string => {
  const status = httpStatusOf(error);
  const text = !(error instanceof Error)
    ? ''
    : error.name === 'SyntaxError'
      ? 'the reply is not JSON it could read'
      : error.message.replace(/\s+/g, ' ').slice(0, 300);
  return `${subject}: ${awsErrorName(error)}${status === undefined ? '' : ` (HTTP ${status})`}${text ? `: ${text}` : ''}`;
};

export type AwsFailure =
  /** The deployment's fault; `reason` is the caller's words for it. */
  | { kind: 'configuration'; name: string; reason: string }
  | { kind: 'transient'; name: string }
  | { kind: 'other'; name: string };

/** Reads a failed call: `configurationFaults` maps the names that are the operator's to why. */
export const classifyAwsFailure = (
  error: unknown,
  configurationFaults: Readonly<Record<string, string>>,
): AwsFailure => {
  const name = awsErrorName(error);
  const reason = Object.hasOwn(configurationFaults, name) ? configurationFaults[name] : undefined;
  if (reason !== undefined) return { kind: 'configuration', name, reason };
  const status = httpStatusOf(error);
  const transient =
    TRANSIENT_NAMES.has(name) ||
    status === undefined || // no HTTP answer at all: reset, refused, DNS, timeout
    status === 429 ||
    status >= 500;
  return { kind: transient ? 'transient' : 'other', name };
};
