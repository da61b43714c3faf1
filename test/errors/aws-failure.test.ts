// How a failed AWS SDK call is read for the log line (lib/errors/aws-failure.ts awsLogDetail):
// its name, HTTP status and text, but never the text of a reply the SDK could not parse, which
// JSON.parse quotes around the fault (a GetSecretValue reply holds the secret).

import { describe, expect, it } from 'vitest';
import { awsLogDetail } from '../../lib/errors/aws-failure.js';

describe('awsLogDetail', () => {
  it("gives an AWS error's name, status and text", () => {
    const denied = Object.assign(new Error('User arn:aws:iam::1:user/x is not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(awsLogDetail('secret s', denied)).toBe(
      'secret s: AccessDeniedException (HTTP 400): User arn:aws:iam::1:user/x is not authorized',
    );
  });

  it('says a reply was not JSON without quoting it: the parse error quotes the secret around its fault', () => {
    // Prepare: the error JSON.parse gives for a damaged GetSecretValue reply, as the SDK passes it on.
    let parseError: unknown;
    try {
      JSON.parse('{"SecretString": SUPERSECRETVALUE123}');
    } catch (error) {
      parseError = Object.assign(error as Error, { $metadata: { httpStatusCode: 200 } });
    }

    // Act
    const detail = awsLogDetail('secret s', parseError);

    // Assess: before, "Unexpected token 'S', ..."tString": SUPERSECRE"... is not valid JSON".
    expect(detail).toBe('secret s: SyntaxError (HTTP 200): the reply is not JSON it could read');
    expect(detail).not.toContain('SUPERSECRE');
  });
});
