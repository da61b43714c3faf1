// The check every credentials suite makes of a refusal: a ConfigurationError whose message names
// none of the secret values it could have quoted.

import { expect } from 'vitest';
import { ConfigurationError } from '../../lib/errors/errors.js';
import { rejectionOf } from '../support/outcomes.js';

export const configurationErrorOf = async (
  promise: Promise<unknown>,
  secrets: readonly string[],
): Promise<ConfigurationError> => {
  const error = await rejectionOf<ConfigurationError>(promise);
  expect(error).toBeInstanceOf(ConfigurationError);
  for (const secret of secrets) expect(error.message).not.toContain(secret);
  return error;
};
