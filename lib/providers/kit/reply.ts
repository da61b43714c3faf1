// Reading a cloud's 2xx reply: JSON, then the cloud's schema. Anything else is
// UpstreamBadResponse, naming what was wrong but never echoing the body.

import { UpstreamBadResponse, type UpstreamFacts } from '../../errors/errors.js';
import { literalPattern } from '../../schema/literal-pattern.js';
import type * as z from '../../schema/zod.js';

export const parseReply = <T>(
  schema: z.ZodMiniType<T>,
  body: string,
  facts: UpstreamFacts,
  label: string,
  what: string,
): T => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new UpstreamBadResponse(`${label} sent a reply that is not JSON (${what})`, {
      upstream: facts,
    });
  }
  const result = schema.safeParse(json);
  if (!result.success) {
    const fields = [
      ...new Set(result.error.issues.map((issue) => issue.path.join('.') || '(root)')),
    ];
    throw new UpstreamBadResponse(
      `${label} sent a reply that is not ${what} (bad or missing: ${fields.slice(0, 5).join(', ')})`,
      { upstream: facts },
    );
  }
  return result.data;
};

/**
 * A record a cloud may add to a successful reply (a delete's final record): the operation
 * succeeded either way, so a reply that is empty, not JSON or not `schema` gives undefined.
 */
export const parseOptionalReply = <T>(schema: z.ZodMiniType<T>, body: string): T | undefined => {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return undefined;
  }
  const result = schema.safeParse(json);
  return result.success ? result.data : undefined;
};

/** A hex run long enough to be a MAC (an Authorization header's signature). */
const MAC_RUN = /[0-9A-Fa-f]{32,}/g;

/**
 * Upstream text without the credentials and signatures the request carried (a cloud that echoes
 * them must not make us repeat them): each taken out as sent, URL-encoded (as a query string or a
 * form carries it), in any case (a hex MAC in upper case is the same MAC), and each MAC in it
 * alone (a signature quoted without the rest of its header).
 */
export const redacted = (text: string, secrets: readonly (string | undefined)[]): string => {
  let kept = text;
  for (const secret of secrets) {
    if (secret === undefined || secret === '') continue;
    const forms = new Set([secret, encodeURIComponent(secret), ...(secret.match(MAC_RUN) ?? [])]);
    const pattern = new RegExp([...forms].map(literalPattern).join('|'), 'gi');
    kept = kept.replace(pattern, () => '[redacted]');
  }
  return kept;
};

/** Upstream text kept in our messages: redacted, bounded and single-line. */
export const quote = (
  message: string | undefined,
  secrets: readonly (string | undefined)[] = [],
): string => {
  if (!message) return '';
  return `: ${redacted(message, secrets).replace(/\s+/g, ' ').slice(0, 200)}`;
};
