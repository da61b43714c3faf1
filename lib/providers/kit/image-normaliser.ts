// From a cloud's image record to the common Image, written once: each cloud says where its fields
// are and how its status and type values map to ours (compared in the case its tables use);
// a value the tables do not know is `unknown` status or `other` kind, never a guess.

import type { Image, ImageKind, ImageStatus } from '../../images/image.js';
import { toIsoTime } from '../../images/image-fields.js';

/** The fields of a cloud's image record that the common Image is made from. */
export interface ImageRecordFields {
  id: string;
  name: string;
  status: string;
  type: string;
  createdAt?: unknown;
  updatedAt?: unknown;
}

export interface ImageNormaliserDescription<R extends Record<string, unknown>> {
  provider: string;
  fields: (record: R) => ImageRecordFields;
  statuses: Readonly<Record<string, ImageStatus>>;
  kinds: Readonly<Record<string, ImageKind>>;
  /** The case the tables' keys are written in (the cloud's own values vary in case). */
  keyCase: 'lower' | 'upper';
}

const toLower = (value: string): string => value.toLowerCase();

/** The table's own entry (a cloud's value such as `constructor` is not an Object method). */
const lookUp = <V>(table: Readonly<Record<string, V>>, value: string): V | undefined =>
  Object.hasOwn(table, value) ? table[value] : undefined;
const toUpper = (value: string): string => value.toUpperCase();

export const imageNormaliser = <R extends Record<string, unknown>>(
  description: ImageNormaliserDescription<R>,
) => {
  const { provider, statuses, kinds } = description;
  const key = description.keyCase === 'lower' ? toLower : toUpper;
  return (record: R, region: string): Image => {
    const fields = description.fields(record);
    const createdAt = toIsoTime(fields.createdAt);
    const updatedAt = toIsoTime(fields.updatedAt);
    return {
      provider,
      region,
      id: fields.id,
      name: fields.name,
      status: lookUp(statuses, key(fields.status)) ?? 'unknown',
      providerStatus: fields.status,
      kind: lookUp(kinds, key(fields.type)) ?? 'other',
      ...(createdAt === undefined ? {} : { createdAt }),
      ...(updatedAt === undefined ? {} : { updatedAt }),
      details: record,
    };
  };
};
