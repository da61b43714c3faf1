// The reply a handler produces: status, headers and the exact body text. Each cloud's headers and
// error bodies live in its dialect (clouds/*.ts).

import { randomUUID } from 'node:crypto';

export interface EmulatorResponse {
  status: number;
  headers: Record<string, string>;
  /** Exact body text ('' for none). */
  body: string;
}

export const newRequestId = (): string => randomUUID();

/** A JSON reply (`body` undefined = no body) with the given headers. */
export const jsonReply = (
  headers: Record<string, string>,
  status: number,
  body: unknown,
): EmulatorResponse => ({
  status,
  headers,
  body: body === undefined ? '' : JSON.stringify(body),
});
