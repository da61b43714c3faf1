// Upstream credentials: from the Secrets Manager secret named by IMAGE_CREDENTIALS_SECRET_ID (cached
// for at most five minutes, refetched early when an upstream rejects them), or from the providers'
// own environment variables when no secret is configured (local use).
//
// Nothing here logs, and no error message, cause or path ever carries a value read from the secret:
// JSON.parse's own message quotes the input and is therefore dropped, and zod issues are rewritten
// from their code and the schema's field names only.

import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { ConfigurationError, type ProviderKey } from './errors.js';

export interface ModelArtsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  securityToken?: string | undefined;
  /** Project ID per region. */
  projects: Record<string, string>;
  defaultRegion: string;
}

export interface BccCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  defaultRegion: string;
}

export interface CredentialStore {
  /**
   * `signal`: the caller's deadline. A secret read that has not finished by then is given up with
   * a ConfigurationError (the read itself goes on, and its result is cached for the next call).
   */
  modelarts(signal?: AbortSignal): Promise<ModelArtsCredentials>;
  bcc(signal?: AbortSignal): Promise<BccCredentials>;
  /** The upstream rejected our credentials: the next call fetches them again (at most once per rejection; callers retry once). */
  invalidate(provider: ProviderKey): void;
}

export interface CredentialStoreOptions {
  /** Where configuration is read from, on every call; defaults to `process.env`. */
  env?: Record<string, string | undefined>;
  /** Defaults to a bare client created on first use (AWS_REGION, AWS_ENDPOINT_URL_SECRETS_MANAGER... apply). */
  secretsClient?: SecretsManagerClient;
  /** Milliseconds on a clock that never goes back; defaults to `performance.now`. */
  now?: () => number;
  /** How long a fetched secret is used; default and maximum 300 000 (5 minutes). */
  ttlMs?: number;
}

export const SECRET_ID_VARIABLE = 'IMAGE_CREDENTIALS_SECRET_ID';
export const MAX_SECRET_TTL_MS = 300_000;
/** The official BCE SDK's default region. */
export const DEFAULT_BCC_REGION = 'bj';

const REGION_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

// ---------------------------------------------------------------------------------------------
// The secret's shape

const text = z.string().min(1);
const region = text.regex(REGION_PATTERN);

const modelartsSecret = z
  .object({
    accessKeyId: text,
    secretAccessKey: text,
    securityToken: text.optional(),
    projects: z.record(region, text).refine((projects) => Object.keys(projects).length > 0, {
      message: 'must list at least one region',
    }),
    defaultRegion: region,
  })
  .refine((value) => Object.hasOwn(value.projects, value.defaultRegion), {
    message: 'has no project in modelarts.projects',
    path: ['defaultRegion'],
  });

const bccSecret = z.object({
  accessKeyId: text,
  secretAccessKey: text,
  sessionToken: text.optional(),
  defaultRegion: region,
});

const credentialsSecret = z.object({
  modelarts: modelartsSecret.optional(),
  bcc: bccSecret.optional(),
});

type CredentialsSecret = z.infer<typeof credentialsSecret>;

/** Field names of the schema: the only path segments an error message may show. */
const KNOWN_FIELDS = new Set([
  'modelarts',
  'bcc',
  'accessKeyId',
  'secretAccessKey',
  'securityToken',
  'sessionToken',
  'projects',
  'defaultRegion',
]);

/** Messages built from the issue's code and expectations only, never from its input. */
const describeIssue = (issue: z.core.$ZodRawIssue): string => {
  if (issue.input === undefined && issue.code === 'invalid_type') return 'is required';
  switch (issue.code) {
    case 'invalid_type':
      return `must be ${issue.expected === 'record' ? 'an object' : `a${/^[aeiou]/.test(issue.expected) ? 'n' : ''} ${issue.expected}`}`;
    case 'too_small':
      return 'must not be empty';
    case 'invalid_format':
      return 'must be a region name (lowercase letters, digits and hyphens)';
    case 'invalid_key':
      return 'has a key that is not a region name (lowercase letters, digits and hyphens)';
    case 'custom':
      return typeof issue.message === 'string' ? issue.message : 'is invalid';
    default:
      return 'is invalid';
  }
};

const issuePath = (path: readonly PropertyKey[]): string => {
  const shown: string[] = [];
  for (const segment of path) {
    if (typeof segment !== 'string' || !KNOWN_FIELDS.has(segment)) break;
    shown.push(segment);
  }
  return shown.length > 0 ? shown.join('.') : '(top level)';
};

const parseSecret = (secretId: string, raw: string): CredentialsSecret => {
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    // The SyntaxError quotes the secret text: neither its message nor the error itself goes on.
    throw new ConfigurationError(`Credentials secret "${secretId}" is not valid JSON`);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigurationError(`Credentials secret "${secretId}" must hold a JSON object`);
  }
  const result = credentialsSecret.safeParse(data, { error: describeIssue });
  if (result.success) return result.data;
  const problems = [
    ...new Set(result.error.issues.map((issue) => `${issuePath(issue.path)} ${issue.message}`)),
  ];
  throw new ConfigurationError(
    `Credentials secret "${secretId}" is malformed: ${problems.join('; ')}`,
  );
};

// ---------------------------------------------------------------------------------------------
// Fetching

const awsErrorName = (error: unknown): string => {
  if (error instanceof Error) {
    const code = (error as Error & { code?: unknown }).code;
    if (error.name === 'Error' && typeof code === 'string') return code;
    return error.name;
  }
  return 'UnknownError';
};

const awsErrorDetail = (error: unknown): string => {
  if (!(error instanceof Error)) return '';
  const status = (error as Error & { $metadata?: { httpStatusCode?: unknown } }).$metadata
    ?.httpStatusCode;
  const message = error.message.replace(/\s+/g, ' ').trim().slice(0, 200);
  const parts = [typeof status === 'number' ? `HTTP ${status}` : '', message].filter(Boolean);
  return parts.length > 0 ? ` (${parts.join(', ')})` : '';
};

type SecretsManagerModule = typeof import('@aws-sdk/client-secrets-manager');
let secretsManagerModule: Promise<SecretsManagerModule> | undefined;

/**
 * The Secrets Manager client library, loaded on the first use of the secret path only: a function
 * that takes its credentials from the environment never evaluates the AWS SDK during INIT.
 */
const loadSecretsManager = (): Promise<SecretsManagerModule> => {
  secretsManagerModule ??= import('@aws-sdk/client-secrets-manager');
  return secretsManagerModule;
};

const fetchSecret = async (client: SecretsManagerClient, secretId: string): Promise<string> => {
  const { GetSecretValueCommand } = await loadSecretsManager();
  let output: { SecretString?: string | undefined; SecretBinary?: Uint8Array | undefined };
  try {
    output = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
  } catch (error) {
    // No cause: SDK errors carry stacks and raw responses that must not end up in logs or replies.
    throw new ConfigurationError(
      `Could not read credentials secret "${secretId}" from Secrets Manager: ${awsErrorName(error)}${awsErrorDetail(error)}`,
    );
  }
  if (typeof output.SecretString === 'string') return output.SecretString;
  if (output.SecretBinary !== undefined) return new TextDecoder().decode(output.SecretBinary);
  throw new ConfigurationError(`Credentials secret "${secretId}" has no value`);
};

// ---------------------------------------------------------------------------------------------
// The environment fallback

type Env = Record<string, string | undefined>;

/** Empty strings count as unset. */
const read = (env: Env, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

const missingVariables = (names: readonly string[]): ConfigurationError =>
  new ConfigurationError(
    `Missing environment variable${names.length > 1 ? 's' : ''} ${names.join(', ')} (or set ${SECRET_ID_VARIABLE})`,
  );

const badRegionVariable = (name: string): ConfigurationError =>
  new ConfigurationError(
    `Environment variable ${name} must be a region name (lowercase letters, digits and hyphens)`,
  );

/** The named variables, each read once (process.env reads are not cheap); a missing one throws. */
const readAll = <const N extends readonly string[]>(
  env: Env,
  names: N,
): { [K in keyof N]: string } => {
  const values = names.map((name) => read(env, name));
  const missing = names.filter((_, index) => values[index] === undefined);
  if (missing.length > 0) throw missingVariables(missing);
  return values as { [K in keyof N]: string };
};

/**
 * The ModelArts credentials the environment holds now; `previous` (frozen, from an earlier call)
 * when they are the same values, so that an unchanged environment costs no new frozen objects.
 */
const modelartsFromEnv = (env: Env, previous?: ModelArtsCredentials): ModelArtsCredentials => {
  const [accessKeyId, secretAccessKey, projectId, regionName] = readAll(env, [
    'HUAWEICLOUD_SDK_AK',
    'HUAWEICLOUD_SDK_SK',
    'HUAWEICLOUD_SDK_PROJECT_ID',
    'HUAWEICLOUD_REGION',
  ] as const);
  if (!REGION_PATTERN.test(regionName)) throw badRegionVariable('HUAWEICLOUD_REGION');
  const securityToken = read(env, 'HUAWEICLOUD_SDK_SECURITY_TOKEN');
  if (
    previous !== undefined &&
    previous.accessKeyId === accessKeyId &&
    previous.secretAccessKey === secretAccessKey &&
    previous.securityToken === securityToken &&
    previous.defaultRegion === regionName &&
    Object.hasOwn(previous.projects, regionName) &&
    previous.projects[regionName] === projectId
  ) {
    return previous;
  }
  return Object.freeze({
    accessKeyId,
    secretAccessKey,
    securityToken,
    projects: Object.freeze({ [regionName]: projectId }),
    defaultRegion: regionName,
  });
};

/** As modelartsFromEnv, for BCC. */
const bccFromEnv = (env: Env, previous?: BccCredentials): BccCredentials => {
  const [accessKeyId, secretAccessKey] = readAll(env, [
    'BCE_ACCESS_KEY_ID',
    'BCE_SECRET_ACCESS_KEY',
  ] as const);
  const regionName = read(env, 'BCE_REGION') ?? DEFAULT_BCC_REGION;
  if (!REGION_PATTERN.test(regionName)) throw badRegionVariable('BCE_REGION');
  const sessionToken = read(env, 'BCE_SESSION_TOKEN');
  if (
    previous !== undefined &&
    previous.accessKeyId === accessKeyId &&
    previous.secretAccessKey === secretAccessKey &&
    previous.sessionToken === sessionToken &&
    previous.defaultRegion === regionName
  ) {
    return previous;
  }
  return Object.freeze({ accessKeyId, secretAccessKey, sessionToken, defaultRegion: regionName });
};

// ---------------------------------------------------------------------------------------------
// The store

interface CachedSecret {
  secretId: string;
  fetchedAt: number;
  modelarts: ModelArtsCredentials | undefined;
  bcc: BccCredentials | undefined;
  /** Providers whose credentials were rejected since this copy was fetched. */
  rejected: Set<ProviderKey>;
}

const clampTtl = (ttlMs: number | undefined): number => {
  if (ttlMs === undefined || Number.isNaN(ttlMs)) return MAX_SECRET_TTL_MS;
  return Math.min(Math.max(ttlMs, 0), MAX_SECRET_TTL_MS);
};

const freezeSecret = (
  secretId: string,
  fetchedAt: number,
  secret: CredentialsSecret,
): CachedSecret => ({
  secretId,
  fetchedAt,
  modelarts:
    secret.modelarts === undefined
      ? undefined
      : Object.freeze({
          accessKeyId: secret.modelarts.accessKeyId,
          secretAccessKey: secret.modelarts.secretAccessKey,
          securityToken: secret.modelarts.securityToken,
          projects: Object.freeze({ ...secret.modelarts.projects }),
          defaultRegion: secret.modelarts.defaultRegion,
        }),
  bcc:
    secret.bcc === undefined
      ? undefined
      : Object.freeze({
          accessKeyId: secret.bcc.accessKeyId,
          secretAccessKey: secret.bcc.secretAccessKey,
          sessionToken: secret.bcc.sessionToken,
          defaultRegion: secret.bcc.defaultRegion,
        }),
  rejected: new Set(),
});

export function createCredentialStore(options: CredentialStoreOptions = {}): CredentialStore {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => performance.now());
  const ttlMs = clampTtl(options.ttlMs);
  let client = options.secretsClient;
  let cached: CachedSecret | undefined;
  let inFlight: { secretId: string; promise: Promise<CachedSecret> } | undefined;

  const secretsClient = async (): Promise<SecretsManagerClient> => {
    if (client === undefined) {
      const { SecretsManagerClient } = await loadSecretsManager();
      client ??= new SecretsManagerClient({
        // Bounded so that an unreachable endpoint fails the call rather than the whole invocation.
        requestHandler: { connectionTimeout: 3_000, requestTimeout: 5_000 },
      });
    }
    return client;
  };

  const isUsable = (entry: CachedSecret, secretId: string, provider: ProviderKey): boolean => {
    if (entry.secretId !== secretId || entry.rejected.has(provider)) return false;
    const age = now() - entry.fetchedAt;
    return age >= 0 && age < ttlMs;
  };

  const load = (secretId: string, provider: ProviderKey): Promise<CachedSecret> => {
    if (cached !== undefined && isUsable(cached, secretId, provider)) {
      return Promise.resolve(cached);
    }
    if (inFlight !== undefined && inFlight.secretId === secretId) return inFlight.promise;
    const promise = (async () => {
      const startedAt = now();
      const raw = await fetchSecret(await secretsClient(), secretId);
      return freezeSecret(secretId, startedAt, parseSecret(secretId, raw));
    })();
    const current = { secretId, promise };
    inFlight = current;
    // Failures are not cached: the next call tries again.
    promise.then(
      (entry) => {
        if (inFlight === current) {
          inFlight = undefined;
          cached = entry;
        }
      },
      () => {
        if (inFlight === current) inFlight = undefined;
      },
    );
    return promise;
  };

  /** The load, or a ConfigurationError once `signal` aborts (a read that does not answer in time). */
  const loadWithin = (
    secretId: string,
    provider: ProviderKey,
    signal: AbortSignal | undefined,
  ): Promise<CachedSecret> => {
    const loading = load(secretId, provider);
    if (signal === undefined) return loading;
    const late = () =>
      new ConfigurationError(
        `Could not read credentials secret "${secretId}" from Secrets Manager within the time left`,
      );
    if (signal.aborted) return Promise.reject(late());
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(late());
      signal.addEventListener('abort', onAbort, { once: true });
      loading.then(
        (entry) => {
          signal.removeEventListener('abort', onAbort);
          resolve(entry);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      );
    });
  };

  const fromSecret = async <P extends ProviderKey>(
    secretId: string,
    provider: P,
    signal: AbortSignal | undefined,
  ): Promise<NonNullable<CachedSecret[P]>> => {
    const entry = await loadWithin(secretId, provider, signal);
    const credentials = entry[provider];
    if (credentials === undefined) {
      throw new ConfigurationError(
        `Credentials secret "${secretId}" has no "${provider}" entry: ${provider} is not configured`,
      );
    }
    return credentials as NonNullable<CachedSecret[P]>;
  };

  // The last credentials read from the environment, handed out again while it holds the same values.
  let envModelarts: ModelArtsCredentials | undefined;
  let envBcc: BccCredentials | undefined;

  return {
    modelarts: async (signal) => {
      const secretId = read(env, SECRET_ID_VARIABLE);
      if (secretId !== undefined) return fromSecret(secretId, 'modelarts', signal);
      envModelarts = modelartsFromEnv(env, envModelarts);
      return envModelarts;
    },
    bcc: async (signal) => {
      const secretId = read(env, SECRET_ID_VARIABLE);
      if (secretId !== undefined) return fromSecret(secretId, 'bcc', signal);
      envBcc = bccFromEnv(env, envBcc);
      return envBcc;
    },
    invalidate: (provider) => {
      // A fetch already under way started after these credentials were handed out: it stands.
      cached?.rejected.add(provider);
    },
  };
}

let processStore: CredentialStore | undefined;

/** The process-wide store (module scope, created lazily on first use; reads process.env). */
export function defaultCredentialStore(): CredentialStore {
  processStore ??= createCredentialStore();
  return processStore;
}
