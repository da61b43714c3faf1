// Plans, and the audit copy of each finished run, as JSON documents: `plans/{planId}.json` and
// `runs/{runId}.json` in the stack's S3 bucket (PLANS_BUCKET) or in a local directory
// (RETIREMENT_STORE_DIR, npm start and the CLI). Reads are validated with the plan schema: a
// document that no longer matches it is the deployment's problem (ConfigurationError), never
// a plan half understood.

import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { PlanBackend } from '../config/retirement-config.js';
import { ConfigurationError, InvalidRequest } from '../errors/errors.js';
import { type RegularFile, readRegularFile } from '../files/regular-file.js';
import { PLAN_ID_PATTERN, RUN_ID_PATTERN } from '../retirement/ids.js';
import { PLAN_WORDING, type Plan, planSchema } from '../retirement/plan.js';
import type { PlanStore, RunDocument } from '../retirement/ports.js';
import { describeIssue } from '../schema/issues.js';
import { createS3Client, lazily, loadS3 } from './aws-clients.js';
import { MAX_STORED_DOCUMENT_BYTES, writeFileAtomic } from './local-files.js';
import { awsErrorName, fileFailure, type StoreName, storeFailure } from './store-errors.js';

export const planKey = (planId: string): string => `plans/${planId}.json`;
export const runKey = (runId: string): string => `runs/${runId}.json`;

/** Ids become keys and file names: only well-formed ones, so no key or path can be forged. */
const checkId = (field: 'planId' | 'runId', id: string): void => {
  const pattern = field === 'planId' ? PLAN_ID_PATTERN : RUN_ID_PATTERN;
  if (!pattern.test(id)) {
    throw new InvalidRequest(`${field}: not a valid id`, { field });
  }
};

const toJson = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

/** The stored text as a plan, or a ConfigurationError saying it is not one. */
const parseStoredPlan = (store: StoreName, key: string, text: string): Plan => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ConfigurationError(`The stored plan ${key} is not valid JSON`, {
      logDetail: `${store.what} ${store.resource}: ${key}`,
    });
  }
  const result = planSchema.safeParse(value);
  if (!result.success) {
    // The describer's field: an unknown key at the top is named, where its path alone is empty.
    const fields = [
      ...new Set(result.error.issues.map((issue) => describeIssue(issue, PLAN_WORDING).field)),
    ];
    throw new ConfigurationError(
      `The stored plan ${key} does not match the plan schema (written by another version?): ${fields.slice(0, 5).join(', ')}`,
      { logDetail: `${store.what} ${store.resource}: ${key}` },
    );
  }
  return result.data;
};

export interface S3PlanStoreOptions {
  bucket: string;
  /** Made lazily (AWS SDK loaded on first use) when not given. */
  client?: S3Client;
}

export const s3PlanStore = (options: S3PlanStoreOptions): PlanStore => {
  const { bucket } = options;
  const client = lazily(options.client, createS3Client);
  const store: StoreName = { what: 'the plans bucket', variable: 'PLANS_BUCKET', resource: bucket };

  const putJson = async (key: string, value: unknown): Promise<void> => {
    const { PutObjectCommand } = await loadS3();
    try {
      await (await client()).send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: JSON.stringify(value),
          ContentType: 'application/json',
        }),
      );
    } catch (error) {
      throw storeFailure(store, 'write to', error);
    }
  };

  return {
    put: async (plan) => {
      checkId('planId', plan.planId);
      await putJson(planKey(plan.planId), plan);
    },
    get: async (planId) => {
      if (!PLAN_ID_PATTERN.test(planId)) return undefined;
      const key = planKey(planId);
      const { GetObjectCommand } = await loadS3();
      let text: string;
      try {
        const output = await (await client()).send(
          new GetObjectCommand({ Bucket: bucket, Key: key }),
        );
        text = (await output.Body?.transformToString('utf-8')) ?? '';
      } catch (error) {
        // Without s3:ListBucket, S3 answers a missing key with AccessDenied, not NoSuchKey.
        if (awsErrorName(error) === 'NoSuchKey') return undefined;
        throw storeFailure(store, 'read from', error);
      }
      return parseStoredPlan(store, key, text);
    },
    putRun: async (document: RunDocument) => {
      checkId('runId', document.run.runId);
      await putJson(runKey(document.run.runId), document);
    },
  };
};

export interface LocalPlanStoreOptions {
  dir: string;
  /** What chose the folder, for messages (the CLI's --dir); RETIREMENT_STORE_DIR by default. */
  setting?: string;
}

export const localPlanStore = (options: LocalPlanStoreOptions): PlanStore => {
  const { dir } = options;
  const store: StoreName = {
    what: 'the local store',
    variable: options.setting ?? 'RETIREMENT_STORE_DIR',
    resource: dir,
  };

  const write = async (key: string, value: unknown): Promise<void> => {
    try {
      await writeFileAtomic(join(dir, key), toJson(value));
    } catch (error) {
      throw fileFailure(store, 'write to', error);
    }
  };

  return {
    put: async (plan) => {
      checkId('planId', plan.planId);
      await write(planKey(plan.planId), plan);
    },
    get: async (planId) => {
      if (!PLAN_ID_PATTERN.test(planId)) return undefined;
      const key = planKey(planId);
      // Only a regular file of a plan's size is read (lib/files/regular-file.ts): a FIFO there is
      // not waited on, a device not read without end.
      let file: RegularFile;
      try {
        file = await readRegularFile(join(dir, key), MAX_STORED_DOCUMENT_BYTES);
      } catch (error) {
        throw fileFailure(store, 'read from', error);
      }
      if (file.kind === 'absent') return undefined;
      if (file.kind !== 'read') {
        throw new ConfigurationError(
          file.kind === 'not-a-file'
            ? `The stored plan ${key} is not a regular file`
            : `The stored plan ${key} is larger than ${MAX_STORED_DOCUMENT_BYTES} bytes, more than any plan`,
          { logDetail: `${store.what} ${store.resource}: ${key}` },
        );
      }
      return parseStoredPlan(store, key, file.bytes.toString('utf8'));
    },
    putRun: async (document) => {
      checkId('runId', document.run.runId);
      await write(runKey(document.run.runId), document);
    },
  };
};

/** The plan store the configuration asks for. */
export const createPlanStore = (
  backend: PlanBackend,
  options: { s3?: S3Client } = {},
): PlanStore =>
  backend.kind === 's3'
    ? s3PlanStore({ bucket: backend.bucket, ...(options.s3 ? { client: options.s3 } : {}) })
    : localPlanStore({ dir: backend.dir });
