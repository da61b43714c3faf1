// Applying one injected fault to a provider request: answer instead of handling it, wait first,
// lose the reply (reset / stall, optionally after handling), cut the reply short, or change the
// records it reads first.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CloudDialect } from './clouds/dialect.js';
import type { FaultAction } from './faults.js';
import type { RecordStore } from './record-store.js';
import type { EmulatorResponse } from './response.js';
import type { EmulatorState } from './state.js';
import type { JsonObject, RecordedRequest } from './types.js';

export interface FaultTarget {
  dialect: CloudDialect;
  requestId: string;
  record: RecordedRequest;
  req: IncomingMessage;
  res: ServerResponse;
  /** Aborted when the emulator closes (ends latency waits). */
  closing: AbortSignal;
  /** The records a `change` edits. */
  state: EmulatorState;
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
    case 'change': {
      const records = recordsRead(target.state, target.record);
      for (const id of action.delete ?? []) records.delete(id);
      for (const fields of action.update ?? []) {
        const record = records.get(fields.id);
        if (record !== undefined) records.set({ ...record, ...(fields as JsonObject) });
      }
      for (const fields of action.create ?? []) {
        if (!records.has(fields.id)) records.set(fields as { id: string } & JsonObject);
      }
      return false;
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

/** The records a request reads: notebooks, instances, or the provider's images. */
const recordsRead = (
  state: EmulatorState,
  record: RecordedRequest,
): RecordStore<{ id: string } & JsonObject> => {
  if (record.operation === 'list-notebooks' || record.operation === 'list-all-notebooks') {
    return state.notebooks as unknown as RecordStore<{ id: string } & JsonObject>;
  }
  if (record.operation === 'list-instances') {
    return state.instances as unknown as RecordStore<{ id: string } & JsonObject>;
  }
  return record.provider === 'bcc' ? state.bcc : state.modelarts;
};
