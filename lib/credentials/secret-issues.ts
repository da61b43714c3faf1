// Messages about a malformed credentials secret, built from zod issue codes and the schema's own
// field names only: never from the input, so no value read from the secret reaches a message.

import type * as z from '../schema/zod.js';

/** A zod error map: the message for an issue, from its code and expectations only. */
export const describeSecretIssue = (issue: z.core.$ZodRawIssue): string => {
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

/** The issue's path as far as it names schema fields (`bcc.accessKeyId`), never a key from the input. */
export const secretIssuePath = (
  section: string,
  fields: ReadonlySet<string>,
  path: readonly PropertyKey[],
): string => {
  const shown = [section];
  for (const segment of path) {
    if (typeof segment !== 'string' || !fields.has(segment)) break;
    shown.push(segment);
  }
  return shown.join('.');
};

/** The field names of an object schema and of the object schemas nested in it. */
export const schemaFieldNames = (schema: z.ZodMiniObject): ReadonlySet<string> => {
  const names = new Set<string>();
  const visit = (shape: Record<string, z.core.$ZodType>): void => {
    for (const [name, field] of Object.entries(shape)) {
      names.add(name);
      // An optional field's schema wraps the field's own (its `innerType`).
      const def = field._zod.def as { innerType?: z.core.$ZodType };
      const inner = def.innerType ?? field;
      const nested = (inner as { shape?: Record<string, z.core.$ZodType> }).shape;
      if (nested !== undefined) visit(nested);
    }
  };
  visit(schema.shape);
  return names;
};
