// CloudWatch metrics as Embedded Metric Format (EMF), built here for the fixed metric set (the
// document Powertools' Metrics serializer made, member for member) and written as part of the
// request's one log line (lib/log.ts): CloudWatch Logs extracts the metrics
// from that line, so there is no second output and no PutMetricData call.
//
// Per request (HTTP request, task invocation, SQS record), namespace POWERTOOLS_METRICS_NAMESPACE
// (default CloudImageFunctions), dimension sets
//   [service, provider, operation, outcome]   outcome: shown | deleted | already-absent | dry-run | failed
//   [service, provider, operation]
//   [service, provider, operation, error]     failures only: the error's name
// and the metrics
//   Requests          Count         1
//   UpstreamLatency   Milliseconds  time spent in upstream exchanges (only when there were any)
//   UpstreamAttempts  Count         HTTP attempts sent upstream (only when there were any)
// A provider that is not one of ours (a caller's typo) is not a dimension: request input never
// becomes a metric dimension, so a caller cannot create metrics.

import { PROVIDERS } from './images/image.js';
import { createLogger, type LogFields, type Logger } from './log.js';
import type { UpstreamCall } from './providers/provider.js';

export const DEFAULT_NAMESPACE = 'CloudImageFunctions';
export const DEFAULT_SERVICE = 'cloud-image-functions';

export interface RequestMeasurement {
  provider: unknown;
  operation: 'show' | 'delete';
  /** `failed`, or the success outcome. */
  outcome: string;
  /** The error's name when the request failed. */
  error?: string | undefined;
  calls: readonly UpstreamCall[];
}

interface Setup {
  namespace: string;
  /** Warnings about a dimension that cannot be one (blank) go through our logger. */
  log: Logger;
}

let setup: Setup | undefined;

/** Read once, on the first request (as the Powertools instance it replaces was). */
const current = (): Setup => {
  if (setup === undefined) {
    setup = {
      namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE,
      log: createLogger('warn', { source: 'metrics' }),
    };
    // Powertools set the service as a default dimension when it was built, and said so then too.
    usable(setup.log, 'service', serviceName());
  }
  return setup;
};

const serviceName = (): string => process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE;

const isProvider = (value: unknown): value is (typeof PROVIDERS)[number] =>
  typeof value === 'string' && (PROVIDERS as readonly string[]).includes(value);

/** EMF wants a dimension's name and value to be non-blank strings; others are left out. */
const usable = (log: Logger, name: string, value: unknown): value is string => {
  if (typeof value === 'string' && value.trim().length > 0) return true;
  log.warn(
    `The dimension ${name} doesn't meet the requirements and won't be added. Ensure the dimension name and value are non empty strings`,
  );
  return false;
};

const metricValue = (value: number): number => {
  if (typeof value !== 'number') throw new RangeError(`${value} is not a valid number`);
  return value;
};

/**
 * The EMF members for one request, to be merged into its log line: `_aws` (the metric
 * directive), the dimension values and the metric values, in this order:
 * `{ _aws: { Timestamp, CloudWatchMetrics: [{ Namespace, Dimensions, Metrics }] }, service,
 * provider, operation, outcome, error, Requests, UpstreamLatency, UpstreamAttempts }`.
 */
export const metricFields = (measurement: RequestMeasurement): LogFields => {
  const { namespace, log } = current();
  const service = serviceName();
  const provider = isProvider(measurement.provider) ? measurement.provider : undefined;

  // The default dimensions [service, provider, operation], each only when usable.
  const base: string[] = [];
  const values: LogFields = {};
  if (usable(log, 'service', service)) {
    base.push('service');
    values.service = service;
  }
  if (provider !== undefined && usable(log, 'provider', provider)) {
    base.push('provider');
    values.provider = provider;
  }
  if (usable(log, 'operation', measurement.operation)) {
    base.push('operation');
    values.operation = measurement.operation;
  }
  const withOutcome = usable(log, 'outcome', measurement.outcome);
  const withError = measurement.error !== undefined && usable(log, 'error', measurement.error);

  const dimensions: string[][] = [];
  if (withOutcome) {
    values.outcome = measurement.outcome;
    dimensions.push([...base, 'outcome']);
  }
  // The default dimensions alone, then (failures) with the error's name.
  dimensions.push(base);
  if (measurement.error !== undefined) {
    if (withError) values.error = measurement.error;
    dimensions.push(withError ? [...base, 'error'] : base.slice());
  }

  const metrics: { Name: string; Unit: string }[] = [{ Name: 'Requests', Unit: 'Count' }];
  values.Requests = 1;
  if (measurement.calls.length > 0) {
    let latency = 0;
    let attempts = 0;
    for (const call of measurement.calls) {
      latency += call.durationMs;
      attempts += call.attempts;
    }
    values.UpstreamLatency = metricValue(latency);
    values.UpstreamAttempts = metricValue(attempts);
    metrics.push(
      { Name: 'UpstreamLatency', Unit: 'Milliseconds' },
      { Name: 'UpstreamAttempts', Unit: 'Count' },
    );
  }
  return {
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [{ Namespace: namespace, Dimensions: dimensions, Metrics: metrics }],
    },
    ...values,
  };
};
