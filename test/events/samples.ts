// One realistic event of each detail-type, for the catalogue and publisher tests.

import type { CatalogueEvent, DetailOf, DetailType } from '../../lib/events/catalogue.js';
import { SAMPLE_IMAGE } from '../support/sample-image.js';

type EventOf<T extends DetailType> = { detailType: T; detail: DetailOf<T> };

export const IMAGE = SAMPLE_IMAGE;

const AT = '2025-06-01T00:05:00.000Z';

export const imageDeleted = (requestId = 'req-1'): EventOf<'Image Deleted'> => ({
  detailType: 'Image Deleted',
  detail: {
    provider: 'modelarts',
    region: 'cn-north-4',
    imageId: IMAGE.id,
    image: IMAGE,
    outcome: 'deleted',
    trigger: 'run',
    requestId,
    planId: 'plan-0123456789abcdef01234567',
    runId: 'run-0123456789abcdef0123',
    identity: 'arn:aws:iam::123456789012:user/alice',
    at: AT,
  },
});

export const imageDeleteRefused = (): EventOf<'Image Delete Refused'> => ({
  detailType: 'Image Delete Refused',
  detail: {
    provider: 'bcc',
    region: 'bj',
    imageId: 'm-abc123',
    error: 'ImageBusy',
    reason: 'image m-abc123 is in use by instance i-1 (web-1)',
    trigger: 'http',
    requestId: 'req-2',
    at: AT,
  },
});

export const imageDeleteFailed = (): EventOf<'Image Delete Failed'> => ({
  detailType: 'Image Delete Failed',
  detail: {
    provider: 'modelarts',
    region: 'cn-north-4',
    imageId: IMAGE.id,
    error: 'UpstreamUnavailable',
    message: 'modelarts answered HTTP 503 (after 3 attempts)',
    retryable: true,
    trigger: 'sqs',
    requestId: 'msg-3',
    at: AT,
  },
});

export const retirementPlanned = (): EventOf<'Retirement Planned'> => ({
  detailType: 'Retirement Planned',
  detail: {
    planId: 'plan-0123456789abcdef01234567',
    policyName: 'stale-training-images',
    provider: 'modelarts',
    regions: ['cn-north-4'],
    complete: true,
    totals: {
      images: 3,
      retire: 1,
      keep: 1,
      deferred: 1,
      byReason: {
        system: 0,
        shared: 0,
        protected: 0,
        excluded: 0,
        'not-selected': 0,
        busy: 0,
        'in-use': 0,
        'newest-in-family': 1,
        'too-new': 0,
        'over-limit': 1,
        retire: 1,
      },
    },
    createdBy: 'arn:aws:iam::123456789012:user/alice',
    createdAt: AT,
    trigger: 'schedule',
    apply: 'manual',
  },
});

export const retirementRunCompleted = (): EventOf<'Retirement Run Completed'> => ({
  detailType: 'Retirement Run Completed',
  detail: {
    runId: 'run-0123456789abcdef0123',
    planId: 'plan-0123456789abcdef01234567',
    policyName: 'stale-training-images',
    provider: 'modelarts',
    counts: { deleted: 1, 'already-absent': 0, skipped: 1, failed: 0 },
    total: 2,
    createdBy: 'arn:aws:iam::123456789012:user/alice',
    startedAt: AT,
    completedAt: '2025-06-01T00:09:00.000Z',
  },
});

export const oneOfEach = (): CatalogueEvent[] => [
  imageDeleted(),
  imageDeleteRefused(),
  imageDeleteFailed(),
  retirementPlanned(),
  retirementRunCompleted(),
];
