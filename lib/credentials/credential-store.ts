// Upstream credentials for every cloud: from the Secrets Manager secret named by
// IMAGE_CREDENTIALS_SECRET_ID (one JSON object, a section per cloud; cached for at most five
// minutes, refetched early when a cloud rejects its credentials), or from each cloud's own
// environment variables when no secret is configured (local use).
//
// Nothing here logs, and no error message, cause or path carries a value read from the secret:
// JSON.parse's own message quotes the input and is dropped, and zod issues are rewritten from their
// code and the schema's field names only.

import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ConfigurationError, CredentialsUnavailable } from '../errors/errors.js';
import {
  CREDENTIAL_TEXT_PATTERN,
  CREDENTIAL_TEXT_RULE,
  type CredentialSection,
  type Env,
  SECRET_ID_VARIABLE,
} from './credential-section.js';
import { describeSecretIssue, schemaFieldNames, secretIssuePath } from './secret-issues.js';
import {
  CREDENTIALS_RETRY_AFTER_SECONDS,
  createSecretsClient,
  fetchSecretText,
} from './secrets-manager.js';

export interface CredentialStore {
  /**
   * The cloud's credentials. `within`: the caller's deadline (its signal is read only when the
   * call has to wait for a read); a secret read that has not finished by then is given up with
   * CredentialsUnavailable (the read goes on, and its result is cached).
   */
  get<C>(section: CredentialSection<C>, within?: { readonly signal: AbortSignal }): Promise<C>;
  /** The cloud rejected its credentials: its next call reads them again (callers retry once). */
  invalidate(key: string): void;
  /** Whether credentials come from the secret (true) or the environment. */
  usesSecret(): boolean;
}

export interface CredentialStoreOptions {
  /** Where configuration is read from, on every call; defaults to `process.env`. */
  env?: Env;
  /** Defaults to a bare client created on first use. */
  secretsClient?: SecretsManagerClient;
  /** Milliseconds on a clock that never goes back; defaults to `performance.now`. */
  now?: () => number;
  /** How long a fetched secret is used; default and maximum 300 000 (5 minutes). */
  ttlMs?: number;
}

export const MAX_SECRET_TTL_MS = 300_000;

/** Empty strings count as unset. */
const read = (env: Env, name: string): string | undefined => {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
};

const clampTtl = (ttlMs: number | undefined): number => {
  if (ttlMs === undefined || Number.isNaN(ttlMs)) return MAX_SECRET_TTL_MS;
  return Math.min(Math.max(ttlMs, 0), MAX_SECRET_TTL_MS);
};

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
};

interface CachedSecret {
  secretId: string;
  fetchedAt: number;
  json: Readonly<Record<string, unknown>>;
  /** Each cloud's section, parsed on first use. */
  sections: Map<string, unknown>;
  /** Clouds whose credentials were rejected since this copy was fetched. */
  rejected: Set<string>;
}

const parseSecretJson = (secretId: string, raw: string): Record<string, unknown> => {
  const logDetail = `secret ${secretId}`;
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch {
    // The SyntaxError quotes the secret text: neither its message nor the error itself goes on.
    throw new ConfigurationError(
      `The credentials secret (${SECRET_ID_VARIABLE}) is not valid JSON`,
      { logDetail },
    );
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigurationError(
      `The credentials secret (${SECRET_ID_VARIABLE}) must hold a JSON object`,
      { logDetail },
    );
  }
  return data as Record<string, unknown>;
};

const fieldNames = new WeakMap<object, ReadonlySet<string>>();

const parseSection = <C>(section: CredentialSection<C>, entry: CachedSecret): C => {
  const logDetail = `secret ${entry.secretId}`;
  const value = Object.hasOwn(entry.json, section.key) ? entry.json[section.key] : undefined;
  if (value === undefined) {
    throw new ConfigurationError(
      `The credentials secret (${SECRET_ID_VARIABLE}) has no "${section.key}" entry: ${section.key} is not configured`,
      { logDetail },
    );
  }
  const result = section.schema.safeParse(value, { error: describeSecretIssue });
  if (!result.success) {
    let fields = fieldNames.get(section.schema);
    if (fields === undefined) {
      fields = schemaFieldNames(section.schema);
      fieldNames.set(section.schema, fields);
    }
    const known = fields;
    const problems = [
      ...new Set(
        result.error.issues.map(
          (issue) => `${secretIssuePath(section.key, known, issue.path)} ${issue.message}`,
        ),
      ),
    ];
    throw new ConfigurationError(
      `The credentials secret (${SECRET_ID_VARIABLE}) is malformed: ${problems.join('; ')}`,
      { logDetail },
    );
  }
  return deepFreeze(section.fromSecret(result.data));
};

export function createCredentialStore(options: CredentialStoreOptions = {}): CredentialStore {
  const env = options.env ?? process.env;
  const now = options.now ?? (() => performance.now());
  const ttlMs = clampTtl(options.ttlMs);
  let client = options.secretsClient;
  let cached: CachedSecret | undefined;
  let inFlight: { secretId: string; promise: Promise<CachedSecret> } | undefined;
  // Per cloud: the variable values last read and the credentials made of them, handed out again
  // while the environment holds the same values (no new frozen objects per call).
  const fromEnv = new Map<string, { values: (string | undefined)[]; credentials: unknown }>();

  const secretsClient = async (): Promise<SecretsManagerClient> => {
    client ??= await createSecretsClient();
    return client;
  };

  const isUsable = (entry: CachedSecret, secretId: string, key: string): boolean => {
    if (entry.secretId !== secretId || entry.rejected.has(key)) return false;
    const age = now() - entry.fetchedAt;
    return age >= 0 && age < ttlMs;
  };

  const load = (secretId: string, key: string): Promise<CachedSecret> => {
    if (cached !== undefined && isUsable(cached, secretId, key)) return Promise.resolve(cached);
    if (inFlight !== undefined && inFlight.secretId === secretId) return inFlight.promise;
    const promise = (async () => {
      const startedAt = now();
      const raw = await fetchSecretText(await secretsClient(), secretId);
      return {
        secretId,
        fetchedAt: startedAt,
        json: parseSecretJson(secretId, raw),
        sections: new Map(),
        rejected: new Set<string>(),
      };
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

  /** The load, or CredentialsUnavailable once `signal` aborts (a read that does not answer in time). */
  const loadWithin = (
    secretId: string,
    key: string,
    within: { readonly signal: AbortSignal } | undefined,
  ): Promise<CachedSecret> => {
    const loading = load(secretId, key);
    if (within === undefined) return loading;
    const { signal } = within;
    const late = () =>
      new CredentialsUnavailable(
        'Secrets Manager did not give the credentials secret within the time left; try again later',
        { retryAfterSeconds: CREDENTIALS_RETRY_AFTER_SECONDS, logDetail: `secret ${secretId}` },
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

  const fromTheEnvironment = <C>(section: CredentialSection<C>): C => {
    const values = section.variables.map((name) => read(env, name));
    const previous = fromEnv.get(section.key);
    if (
      previous !== undefined &&
      previous.values.length === values.length &&
      previous.values.every((value, index) => value === values[index])
    ) {
      return previous.credentials as C;
    }
    section.variables.forEach((name, index) => {
      const value = values[index];
      if (value !== undefined && !CREDENTIAL_TEXT_PATTERN.test(value)) {
        throw new ConfigurationError(`Environment variable ${name} ${CREDENTIAL_TEXT_RULE}`);
      }
    });
    const credentials = deepFreeze(section.fromEnv(values));
    fromEnv.set(section.key, { values, credentials });
    return credentials;
  };

  return {
    async get<C>(
      section: CredentialSection<C>,
      within?: { readonly signal: AbortSignal },
    ): Promise<C> {
      const secretId = read(env, SECRET_ID_VARIABLE);
      if (secretId === undefined) return fromTheEnvironment(section);
      // Warm: the cached section as it is, without racing a finished load against the deadline.
      const current = cached;
      if (current?.sections.has(section.key) && isUsable(current, secretId, section.key)) {
        return current.sections.get(section.key) as C;
      }
      const entry = await loadWithin(secretId, section.key, within);
      if (!entry.sections.has(section.key)) {
        try {
          entry.sections.set(section.key, parseSection(section, entry));
        } catch (error) {
          // A malformed section is not cached: once the operator fixes the secret, the next call
          // reads it again instead of waiting out the TTL.
          if (cached === entry) cached = undefined;
          throw error;
        }
      }
      return entry.sections.get(section.key) as C;
    },
    invalidate(key) {
      // A fetch already under way started after these credentials were handed out: it stands.
      cached?.rejected.add(key);
      fromEnv.delete(key);
    },
    usesSecret: () => read(env, SECRET_ID_VARIABLE) !== undefined,
  };
}

let processStore: CredentialStore | undefined;

/** The process-wide store (module scope, created lazily on first use; reads process.env). */
export function defaultCredentialStore(): CredentialStore {
  processStore ??= createCredentialStore();
  return processStore;
}
