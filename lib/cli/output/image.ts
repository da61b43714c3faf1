// An Image for people: one record as aligned `key  value` lines, its status coloured by what it
// means for an operator, and the provider's own record (details) as its plain values.

import type { Image, ImageStatus } from '../../images/image.js';
import type { Paint } from './colour.js';
import { printable } from './printable.js';
import { keyValues } from './table.js';

export const statusText = (status: ImageStatus, paint: Paint): string => {
  switch (status) {
    case 'available':
      return paint.green(status);
    case 'creating':
    case 'unavailable':
      return paint.yellow(status);
    case 'failed':
    case 'error':
      return paint.red(status);
    case 'deleted':
      return paint.dim(status);
    default:
      return paint.magenta(status);
  }
};

/** `modelarts image <id> (<name>)`: how messages name an image. */
export const imageLabel = (image: Pick<Image, 'provider' | 'id' | 'name'>): string =>
  printable(`${image.provider} image ${image.id} (${image.name})`);

const plain = (value: unknown): string | undefined =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean'
    ? String(value)
    : undefined;

/** The image as `key  value` lines: the normalised fields, then the provider's plain values. */
export const imageRecord = (image: Image, paint: Paint): string => {
  const entries: [string, string][] = [
    ['provider', image.provider],
    ['region', image.region],
    ['id', paint.bold(image.id)],
    ['name', printable(image.name)],
    [
      'status',
      `${statusText(image.status, paint)} ${paint.dim(`(${printable(image.providerStatus)})`)}`,
    ],
    ['kind', image.kind],
    ['created', image.createdAt ?? paint.dim('unknown')],
    ['updated', image.updatedAt ?? paint.dim('unknown')],
  ];
  for (const key of Object.keys(image.details).sort()) {
    const value = plain(image.details[key]);
    if (value !== undefined && value !== '') {
      // The keys are the cloud's as much as the values are.
      entries.push([`details.${printable(key)}`, printable(value)]);
    }
  }
  return keyValues(entries.map(([key, value]) => [paint.dim(key), value]));
};
