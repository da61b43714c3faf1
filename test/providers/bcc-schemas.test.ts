// BCC reply schemas and normalisation: every documented ImageStatus and ImageType, the tolerance
// the live service needs, and the error body.

import { describe, expect, it } from 'vitest';
import { BCC_ENDPOINTS } from '../../lib/providers/bcc/endpoints.js';
import {
  bccImageReplySchema,
  bccImageSchema,
  normaliseBccImage,
  parseBceError,
} from '../../lib/providers/bcc/schemas.js';

const base = {
  id: 'm-nky7qeom',
  name: 'ubuntu-14.04.1-server-amd64-201506171832',
  type: 'System',
  status: 'Available',
  createTime: '2015-06-17T10:37:02Z',
};

const record = (overrides: Record<string, unknown> = {}) =>
  bccImageSchema.parse({ ...base, ...overrides });

describe('normaliseBccImage', () => {
  it.each([
    ['Available', 'available'],
    ['Creating', 'creating'],
    ['CreateFailed', 'failed'],
    ['NotAvailable', 'unavailable'],
    ['Error', 'error'],
    ['Deleting', 'unknown'],
    ['SomethingNew', 'unknown'],
  ])('status %s → %s, kept as providerStatus', (status, expected) => {
    const image = normaliseBccImage(record({ status }), 'bj');
    expect(image.status).toBe(expected);
    expect(image.providerStatus).toBe(status);
  });

  it.each([
    ['Custom', 'custom'],
    ['GpuBccCustom', 'custom'],
    ['FpgaBccCustom', 'custom'],
    ['BbcCustom', 'custom'],
    ['EbcCustom', 'custom'],
    ['System', 'system'],
    ['Integration', 'system'],
    ['GpuBccSystem', 'system'],
    ['FpgaBccSystem', 'system'],
    ['BbcSystem', 'system'],
    ['EbcSystem', 'system'],
    ['Sharing', 'shared'],
    ['EbcTotal', 'other'],
    ['All', 'other'],
    ['Marketplace', 'other'],
  ])('type %s → kind %s', (type, kind) => {
    expect(normaliseBccImage(record({ type }), 'bj').kind).toBe(kind);
  });

  it('the documented example normalises with the record kept whole', () => {
    const example = record({
      osArch: 'x86_64 (64bit)',
      osBuild: '2015061700',
      osName: 'Ubuntu',
      osType: 'linux',
      osVersion: '14.04.1 LTS',
      osLang: 'ENG',
      specialVersion: '',
      diskSize: 0,
      minDiskGb: 10,
      ephemeralSize: 0,
      encrypted: false,
      package: false,
      desc: '',
    });
    expect(normaliseBccImage(example, 'gz')).toEqual({
      provider: 'bcc',
      region: 'gz',
      id: 'm-nky7qeom',
      name: 'ubuntu-14.04.1-server-amd64-201506171832',
      status: 'available',
      providerStatus: 'Available',
      kind: 'system',
      createdAt: '2015-06-17T10:37:02.000Z',
      details: example,
    });
  });

  it('createTime missing, null or unreadable leaves createdAt out', () => {
    for (const createTime of [undefined, null, 'yesterday']) {
      const image = normaliseBccImage(record({ createTime }), 'bj');
      expect(image.createdAt).toBeUndefined();
      expect('createdAt' in image).toBe(false);
    }
  });
});

describe('bccImageSchema', () => {
  it.each(['id', 'name', 'type', 'status'])('requires %s', (field) => {
    const input: Record<string, unknown> = {
      id: 'm-a1',
      name: 'n',
      type: 'Custom',
      status: 'Available',
    };
    delete input[field];
    expect(bccImageSchema.safeParse(input).success).toBe(false);
  });

  it.each([
    ['id', ''],
    ['status', ''],
    ['createTime', 1700000000],
    ['diskSize', '40'],
    ['encrypted', 'false'],
    ['snapshots', 'none'],
  ])('refuses %s = %j', (field, value) => {
    expect(bccImageSchema.safeParse({ ...base, [field]: value }).success).toBe(false);
  });

  it('keeps unknown fields and accepts nulls for the optional ones', () => {
    const parsed = record({ desc: null, snapshots: [{ id: 's-1', extra: true }], newThing: [1] });
    expect(parsed).toMatchObject({
      desc: null,
      snapshots: [{ id: 's-1', extra: true }],
      newThing: [1],
    });
  });

  it('the reply wraps the image', () => {
    expect(bccImageReplySchema.safeParse({ image: record() }).success).toBe(true);
    expect(bccImageReplySchema.safeParse(record()).success).toBe(false);
  });
});

describe('parseBceError', () => {
  it('reads the documented body', () => {
    expect(
      parseBceError(
        JSON.stringify({ requestId: 'ae2225f7', code: 'NoSuchKey', message: 'gone', extra: 1 }),
      ),
    ).toEqual({ requestId: 'ae2225f7', code: 'NoSuchKey', message: 'gone' });
  });

  it.each([
    '',
    'not json',
    '[]',
    'null',
    JSON.stringify({ message: 'no code' }),
    JSON.stringify({ code: 7 }),
  ])('gives nothing for %j', (body) => {
    expect(parseBceError(body)).toEqual({});
  });
});

describe('BCC_ENDPOINTS', () => {
  it('lists the documented regions', () => {
    expect(BCC_ENDPOINTS).toEqual({
      bj: 'https://bcc.bj.baidubce.com',
      gz: 'https://bcc.gz.baidubce.com',
      su: 'https://bcc.su.baidubce.com',
      hkg: 'https://bcc.hkg.baidubce.com',
      fwh: 'https://bcc.fwh.baidubce.com',
      bd: 'https://bcc.bd.baidubce.com',
      sin: 'https://bcc.sin.baidubce.com',
      fsh: 'https://bcc.fsh.baidubce.com',
    });
  });
});
