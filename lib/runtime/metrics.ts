// CloudWatch metrics as Embedded Metric Format (EMF), built by Powertools' Metrics serializer and
// written as part of the request's one log line (lib/log/log.ts): CloudWatch Logs extracts the metrics
// from that line, so there is no second output and no PutMetricData call. Powertools serialises
// each kind of request once (its namespace, dimension sets and directives do not change); each
// request then only fills in its timestamp and values: Powertools' stores read the environment on
// every call (AWS_LAMBDA_MAX_CONCURRENCY), which made the metrics the largest part of a warm
// request's own CPU (bench/RESULTS.md).
//
// Per request (HTTP request, task invocation, SQS record), namespace POWERTOOLS_METRICS_NAMESPACE
// (default CloudImageFunctions), dimension sets
//   [service, provider, operation, outcome]   outcome: shown | deleted | already-absent | dry-run |
//                                             skipped | failed | duplicate (a run message whose
//                                             decision had its outcome already) | ...
//   [service, provider, operation]
//   [service, provider, operation, error]     failures only: the error's name
// and the metrics
//   Requests          Count         1
//   UpstreamLatency   Milliseconds  time spent in upstream exchanges, retries included, not waiting
//                                   for the pacer (only when there were any)
//   UpstreamCalls     Count         upstream exchanges (a delete is a show and a delete: 2)
//   UpstreamRetries   Count         attempts beyond each exchange's first (0 on a normal request:
//                                   an alarm on it fires on retries, not on every delete)
// `provider` is the cloud the request names (its path, its body) or, for plan, apply and the reads
// of plans and runs, the one the operation found (the policy's, the stored plan's or run's:
// request-line.ts). A provider that is not one of
// ours (a caller's typo) is not a dimension: request input never becomes a metric dimension, so a
// caller cannot create metrics.

import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { OperationName } from '../errors/error-table.js';
import type { UpstreamCall } from '../images/provider-port.js';
import { createLogger, type LogFields } from '../log/log.js';
import { findCloud } from '../providers/registry.js';

export const DEFAULT_NAMESPACE = 'CloudImageFunctions';
export const DEFAULT_SERVICE = 'cloud-image-functions';

export interface RequestMeasurement {
  provider: unknown;
  operation: OperationName;
  /** `failed`, or the success outcome. */
  outcome: string;
  /** The error's name when the request failed. */
  error?: string | undefined;
  calls: readonly UpstreamCall[];
}

let metrics: Metrics | undefined;
let service: string | undefined;

const instance = (): Metrics => {
  if (metrics === undefined) {
    // Powertools' own warnings (an invalid dimension, ...) go through our logger too.
    const log = createLogger('warn', { source: 'metrics' });
    const say = (level: 'warn' | 'error') => (message: unknown) => log[level](String(message));
    metrics = new Metrics({
      namespace: namespace(),
      serviceName: serviceName(),
      logger: { debug: () => {}, info: () => {}, warn: say('warn'), error: say('error') },
    });
  }
  return metrics;
};

let namespaceName: string | undefined;

const namespace = (): string => {
  namespaceName ??= process.env.POWERTOOLS_METRICS_NAMESPACE || DEFAULT_NAMESPACE;
  return namespaceName;
};

/** Read once per process: the environment does not change under a running function. */
const serviceName = (): string => {
  service ??= process.env.POWERTOOLS_SERVICE_NAME || DEFAULT_SERVICE;
  return service;
};

const isProvider = (value: unknown): value is string =>
  typeof value === 'string' && findCloud(value) !== undefined;

/** Attempts beyond the first of each exchange. */
export const upstreamRetries = (calls: readonly UpstreamCall[]): number =>
  calls.reduce((sum, call) => sum + Math.max(0, call.attempts - 1), 0);

const deepFreeze = <T>(value: T): T => {
  if (value !== null && typeof value === 'object') {
    for (const item of Object.values(value)) deepFreeze(item);
    Object.freeze(value);
  }
  return value;
};

/** The EMF members Powertools serialised for one kind of request (placeholder values). */
type Template = Readonly<LogFields> & {
  readonly _aws: { readonly CloudWatchMetrics: readonly unknown[] };
};

/**
 * Documents Powertools serialised, by everything that shapes one (provider, operation, outcome,
 * error, whether there were upstream calls): a request only fills in the timestamp and its
 * values. Bounded: the keys come from the registry, the operations, outcomes and error table;
 * past the bound a document is serialised afresh each time.
 */
const templates = new Map<string, Template>();
const MAX_TEMPLATES = 1_000;

/**
 * Powertools' document for one kind of request: the namespace, the dimension sets and values
 * and the metric directives, with the values 1 (Requests) and 0 (the upstream metrics). Its
 * warnings (a blank dimension value, say) are logged when a kind is first seen.
 */
const serialise = (
  provider: string | undefined,
  measurement: RequestMeasurement,
  withCalls: boolean,
): Template => {
  const m = instance();
  const dimensions: Record<string, string> = {
    service: serviceName(),
    ...(provider === undefined ? {} : { provider }),
    operation: measurement.operation,
  };
  m.clearDefaultDimensions();
  m.setDefaultDimensions(dimensions);
  m.addDimension('outcome', measurement.outcome);
  // An empty set is the default dimensions alone: [service, provider, operation].
  m.addDimensions({});
  if (measurement.error !== undefined) m.addDimensions({ error: measurement.error });

  m.addMetric('Requests', MetricUnit.Count, 1);
  if (withCalls) {
    m.addMetric('UpstreamLatency', MetricUnit.Milliseconds, 0);
    m.addMetric('UpstreamCalls', MetricUnit.Count, 0);
    m.addMetric('UpstreamRetries', MetricUnit.Count, 0);
  }
  try {
    // Shared by every later line of this kind: nothing may change it.
    return deepFreeze(m.serializeMetrics()) as unknown as Template;
  } finally {
    m.clearMetrics();
    m.clearDimensions();
  }
};

/**
 * The EMF members for one request, to be merged into its log line: `_aws` (the metric
 * directive), the dimension values and the metric values, as Powertools' Metrics serialises them
 * (its document for this kind of request, with this request's timestamp and values).
 */
export const metricFields = (measurement: RequestMeasurement): LogFields => {
  const provider = isProvider(measurement.provider) ? measurement.provider : undefined;
  const { calls } = measurement;
  const withCalls = calls.length > 0;
  const key = `${provider ?? ''}\u0000${measurement.operation}\u0000${measurement.outcome}\u0000${measurement.error ?? '\u0001'}\u0000${withCalls ? 1 : 0}`;
  let template = templates.get(key);
  if (template === undefined) {
    template = serialise(provider, measurement, withCalls);
    if (templates.size < MAX_TEMPLATES) templates.set(key, template);
  }
  const aws = { Timestamp: Date.now(), CloudWatchMetrics: template._aws.CloudWatchMetrics };
  if (!withCalls) return { ...template, _aws: aws, Requests: 1 };
  let latency = 0;
  let retries = 0;
  for (const call of calls) {
    latency += call.durationMs;
    if (call.attempts > 1) retries += call.attempts - 1;
  }
  return {
    ...template,
    _aws: aws,
    Requests: 1,
    UpstreamLatency: latency,
    UpstreamCalls: calls.length,
    UpstreamRetries: retries,
  };
};

/**
 * The EMF members for a count outside a request's own measurements (events that could not be
 * published): namespace and service as for requests, dimension `[service]`.
 */
export const countFields = (name: string, count: number): LogFields => ({
  _aws: {
    Timestamp: Date.now(),
    CloudWatchMetrics: [
      {
        Namespace: namespace(),
        Dimensions: [['service']],
        Metrics: [{ Name: name, Unit: 'Count' }],
      },
    ],
  },
  service: serviceName(),
  [name]: count,
});
