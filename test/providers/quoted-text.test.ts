// Upstream text a cloud documents is quoted into our messages (lib/providers/kit/reply.ts quote):
// bounded, on one line, and never repeating a credential or signature the request carried, in
// whatever form the cloud echoes it back.

import { describe, expect, it } from 'vitest';
import { quote } from '../../lib/providers/kit/reply.js';

const TOKEN = 'IQoJb3JpZ2luX2VjEK/token+with=signs';
const SIGNATURE = 'a3f1c0de9b8e7d6c5b4a39281706f5e4d3c2b1a09f8e7d6c5b4a3928170f6e5d';

describe('quote', () => {
  it('takes out a credential echoed as it was sent', () => {
    expect(quote(`token ${TOKEN} refused`, [TOKEN])).toBe(': token [redacted] refused');
  });

  it('takes out a credential echoed URL-encoded, or a signature in another case', () => {
    // Prepare: the token as a query string or a form would carry it, the MAC in upper case.
    const echoed = `token ${encodeURIComponent(TOKEN)} signature ${SIGNATURE.toUpperCase()} refused`;

    // Act
    const quoted = quote(echoed, [TOKEN, SIGNATURE]);

    // Assess: before, only the exact text was taken out, and both went on.
    expect(quoted).toBe(': token [redacted] signature [redacted] refused');
  });

  it('keeps the rest of the text: bounded to 200 characters, on one line', () => {
    const quoted = quote(`line one\nline two ${'x'.repeat(300)}`, ['absent']);
    expect(quoted.startsWith(': line one line two x')).toBe(true);
    expect(quoted).toHaveLength(202);
  });
});
