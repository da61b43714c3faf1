// The delete queue the configuration asks for: SQS when DELETE_QUEUE_URL is set, the local queue
// directory otherwise.

import type { QueueBackend } from '../config/retirement-config.js';
import type { DeleteQueue } from '../retirement/ports.js';
import { localDeleteQueue } from './local-delete-queue.js';
import { sqsDeleteQueue } from './sqs-delete-queue.js';

export const createDeleteQueue = (backend: QueueBackend): DeleteQueue =>
  backend.kind === 'sqs'
    ? sqsDeleteQueue({ queueUrl: backend.url })
    : localDeleteQueue({ dir: backend.dir });
