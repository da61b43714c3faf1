// What a cloud tells the credential store about its credentials: its section of the secret (a zod
// object schema) and, for local use without a secret, the environment variables it reads.

import { ConfigurationError } from '../errors/errors.js';
import * as z from '../schema/zod.js';

export type Env = Readonly<Record<string, string | undefined>>;

export interface CredentialSection<C, S extends z.ZodMiniObject = z.ZodMiniObject> {
  /** The section's key in the secret JSON: the cloud's key (`modelarts`, `bcc`). */
  readonly key: string;
  /** The section's shape in the secret. Its field names are the only path segments a message shows. */
  readonly schema: S;
  /** The parsed section as the cloud uses it (frozen by the store). */
  fromSecret(section: z.infer<S>): C;
  /** The environment variables the cloud reads when no secret is configured, in `fromEnv`'s order. */
  readonly variables: readonly string[];
  /**
   * Credentials from those variables' values (empty strings already made undefined), or a
   * ConfigurationError naming what is missing or malformed (never a value).
   */
  fromEnv(values: readonly (string | undefined)[]): C;
}

/** The variable naming the Secrets Manager secret; unset or empty means the environment is used. */
export const SECRET_ID_VARIABLE = 'IMAGE_CREDENTIALS_SECRET_ID';

/**
 * Keys, tokens and project IDs are printable ASCII without spaces. A newline or a control
 * character (a secret pasted with its line end) would otherwise be refused by the HTTP client as
 * a header value and read as a network failure: it is the deployment's ConfigurationError.
 */
export const CREDENTIAL_TEXT_PATTERN = /^[\x21-\x7e]*$/;
export const CREDENTIAL_TEXT_RULE = 'must be printable characters without spaces or line breaks';

/** A credential field of a secret section: see CREDENTIAL_TEXT_PATTERN. */
export const credentialText = z.string().check(
  z.minLength(1),
  z.refine((value) => CREDENTIAL_TEXT_PATTERN.test(value), CREDENTIAL_TEXT_RULE),
);

/** Lowercase letters, digits and single hyphens: a region name. */
export const REGION_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The values of `names` (in `values`, same order), or a ConfigurationError naming every missing
 * one (never a value).
 */
export const requireVariables = (
  names: readonly string[],
  values: readonly (string | undefined)[],
): string[] => {
  const missing = names.filter((_, index) => values[index] === undefined);
  if (missing.length > 0) {
    throw new ConfigurationError(
      `Missing environment variable${missing.length > 1 ? 's' : ''} ${missing.join(', ')} (or set ${SECRET_ID_VARIABLE})`,
    );
  }
  return values.slice(0, names.length) as string[];
};

/** A region variable that is set must name a region. */
export const requireRegionName = (name: string, value: string): string => {
  if (!REGION_PATTERN.test(value)) {
    throw new ConfigurationError(
      `Environment variable ${name} must be a region name (lowercase letters, digits and hyphens)`,
    );
  }
  return value;
};
