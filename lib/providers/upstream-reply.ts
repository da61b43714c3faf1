// Reading a provider's 2xx reply: JSON, then the adapter's schema. Anything else is
// UpstreamBadResponse, naming what was wrong but never echoing the body.

import type * as z from 'zod';
import { type ProviderKey, UpstreamBadResponse, type UpstreamFacts } from '../errors.js';

export const parseReply = <T>(
  schema: z.ZodType<T>,
  body: string,
  facts: UpstreamFacts,
  what: string,
): T => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new UpstreamBadResponse(`${facts.provider} sent a reply that is not JSON (${what})`, {
      upstream: facts,
    });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const fields = [
      ...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)')),
    ];
    throw new UpstreamBadResponse(
      `${facts.provider} sent a reply that is not ${what} (bad or missing: ${fields.slice(0, 5).join(', ')})`,
      { upstream: facts },
    );
  }
  return result.data;
};

/**
 * A record a provider may add to a successful reply (a delete's final record): the operation
 * succeeded either way, so a reply that is empty, not JSON or not `schema` gives undefined.
 */
export const parseOptionalReply = <T>(schema: z.ZodType<T>, body: string): T | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const result = schema.safeParse(json);
  return result.success ? result.data : undefined;
};

/**
 * Upstream text kept in our messages is bounded and single-line, and never repeats the
 * credentials the request was signed with (a provider that echoes them must not make us log them).
 */
export const quote = (message: string | undefined, secrets: readonly string[] = []): string => {
  if (!message) return '';
  let text = message;
  for (const secret of secrets) if (secret !== '') text = text.split(secret).join('[redacted]');
  return `: ${text.replace(/\s+/g, ' ').slice(0, 200)}`;
};

export const SERVER_FAULT_STATUSES: ReadonlySet<number> = new Set([500, 502, 503, 504]);

export const providerLabel = (provider: ProviderKey): string =>
  provider === 'modelarts' ? 'ModelArts' : 'BCC';
