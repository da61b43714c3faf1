// Lambda's 6 MB limit on what a function returns (the whole result as JSON, body included): an
// answer compressedFor lets through must fit, whatever characters its body holds. The body's
// length is a cheap first measure, but a character can take up to six bytes in the result (a
// control character or a lone surrogate is written `\u0001`), and the status and headers are in
// the result too.

import { describe, expect, it } from 'vitest';
import {
  compressedFor,
  type HttpResult,
  jsonResponse,
  LAMBDA_RESPONSE_LIMIT_BYTES,
} from '../../lib/triggers/http.js';
import { routeEvent } from '../../scripts/lambda-events.js';

/** A caller that does not take gzip. */
const plainCaller = routeEvent({
  method: 'GET',
  route: '/retirements/runs/{runId}',
  pathParameters: { runId: 'run-0123456789abcdef0123' },
});

/** Whether Lambda could return the result: its JSON within the limit. */
const fits = (result: HttpResult): boolean =>
  Buffer.byteLength(JSON.stringify(result)) <= LAMBDA_RESPONSE_LIMIT_BYTES;

/** The answer compressedFor gives, or the message it refuses with. */
const answerOf = (response: HttpResult): HttpResult | string => {
  try {
    return compressedFor(plainCaller, response, 'the subject');
  } catch (error) {
    return (error as Error).message;
  }
};

describe('an answer near the 6 MB limit, to a caller that does not take gzip', () => {
  it.each([
    // Three bytes a character, its headers tipping it over.
    ['CJK text', '中'.repeat(Math.floor(LAMBDA_RESPONSE_LIMIT_BYTES / 3) - 2)],
    // Six bytes a character in the result (an HTML body holds such text as it is).
    ['control characters', '\u0001'.repeat(1_100_000)],
    ['lone surrogates', '\ud800'.repeat(1_100_000)],
  ])('of %s is refused, not let through past the limit', (_what, text) => {
    // Prepare
    const response: HttpResult = {
      statusCode: 200,
      headers: { 'content-type': 'text/html; charset=utf-8' },
      body: text,
    };
    expect(fits({ ...response, headers: { ...response.headers, vary: 'accept-encoding' } })).toBe(
      false,
    );

    // Act
    const answer = answerOf(response);

    // Assess
    expect(answer).toMatch(
      /^the subject: the answer is \d+\.\d MiB, more than a function may return/,
    );
  });

  it('is let through when it fits', () => {
    // Prepare: just under the limit once serialised.
    const response = jsonResponse(200, { text: 'a'.repeat(LAMBDA_RESPONSE_LIMIT_BYTES - 4_096) });

    // Act
    const answer = answerOf(response);

    // Assess
    expect(typeof answer).toBe('object');
    expect(fits(answer as HttpResult)).toBe(true);
  });
});
