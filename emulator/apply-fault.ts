// Applying one injected fault to a provider request: answer instead of handling it, wait first,
// lose the reply (reset / stall, optionally after handling), or cut the reply short.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudDialect } from './clouds/dialect.js';
import type { FaultAction } from './faults.js';
import type { EmulatorResponse } from './response.js';
import type { RecordedRequest } from './types.js';

export interface FaultTarget {
  dialect: CloudDialect;
  requestId: string;
  record: RecordedRequest;
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborted when the emulator closes (ends latency waits). */
  closing: AbortSignal;
  /** Send a complete reply (and record its status). */
  reply(response: EmulatorResponse): void;
  /** Handle the request normally and return the reply without sending it. */
  handle(): EmulatorResponse;
}

/** Applies the fault; true when the request is finished (answered, reset or stalled). */
export const applyFault = async (action: FaultAction, target: FaultTarget): Promise<boolean> => {
  const { dialect, requestId, record, req, res } = target;
  record.fault = action.kind;
  switch (action.kind) {
    case 'latency':
      await sleep(action.ms, undefined, { signal: target.closing });
      return false;
    case 'status': {
      const headers = { ...dialect.headers(requestId), ...(action.headers ?? {}) };
      const body =
        action.body === undefined
          ? JSON.stringify(dialect.faultBody(requestId, action.status))
          : typeof action.body === 'string'
            ? action.body
            : JSON.stringify(action.body);
      target.reply({ status: action.status, headers, body });
      return true;
    }
    case 'malformed':
      target.reply({ status: 200, headers: dialect.headers(requestId), body: action.body });
      return true;
    case 'reset':
      if (action.afterHandling === true) target.handle();
      req.socket.destroy();
      return true;
    case 'stall':
      if (action.afterHandling === true) target.handle();
      return true;
    case 'truncated': {
      const response = target.handle();
      // A bodiless reply still gets a (JSON) body to cut short.
      const full = Buffer.from(
        response.body === ''
          ? JSON.stringify({ [dialect.requestIdHeader]: requestId })
          : response.body,
        'utf8',
      );
      record.status = response.status;
      res.writeHead(response.status, {
        ...response.headers,
        'Content-Length': String(full.length),
      });
      res.write(full.subarray(0, Math.floor(full.length / 2)), () => req.socket.destroy());
      return true;
    }
  }
};
