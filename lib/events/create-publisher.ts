// The publisher the configuration asks for (lib/config/retirement-config.ts retirementBackends):
// EventBridge when EVENT_BUS_NAME is set, the local events file when RETIREMENT_STORE_DIR is set,
// else off (said once in the log).

import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { EventBackend } from '../config/retirement-config.js';
import type { Logger } from '../log/log.js';
import { eventBridgePublisher } from './eventbridge-publisher.js';
import { filePublisher } from './file-publisher.js';
import { disabledPublisher, type EventPublisher } from './publisher.js';

export const createEventPublisher = (
  backend: EventBackend,
  options: { log: Logger; eventBridge?: EventBridgeClient },
): EventPublisher => {
  switch (backend.kind) {
    case 'eventbridge':
      return eventBridgePublisher({
        busName: backend.busName,
        log: options.log,
        ...(options.eventBridge ? { client: options.eventBridge } : {}),
      });
    case 'local':
      return filePublisher({ file: backend.file, log: options.log });
    case 'off':
      return disabledPublisher(options.log, backend.why);
  }
};
