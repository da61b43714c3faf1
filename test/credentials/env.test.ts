// The environment fallback: no IMAGE_CREDENTIALS_SECRET_ID, credentials from the providers' variables.

import { describe, expect, it } from 'vitest';
import { createCredentialStore } from '../../lib/credentials/credential-store.js';
import type { ConfigurationError } from '../../lib/errors/errors.js';
import { bccCredentials } from '../../lib/providers/bcc/credentials.js';
import { modelArtsCredentials } from '../../lib/providers/modelarts/credentials.js';
import { configurationErrorOf } from './configuration-error.js';

const HUAWEI = {
  HUAWEICLOUD_SDK_AK: 'HW-AK-canary-0001',
  HUAWEICLOUD_SDK_SK: 'HW-SK-canary-0002',
  HUAWEICLOUD_SDK_PROJECT_ID: '0123456789abcdef0123456789abcdef',
  HUAWEICLOUD_REGION: 'cn-north-4',
};
const BAIDU = {
  BCE_ACCESS_KEY_ID: 'BCE-AK-canary-0003',
  BCE_SECRET_ACCESS_KEY: 'BCE-SK-canary-0004',
};
const CANARIES = [...Object.values(HUAWEI), ...Object.values(BAIDU), 'TOKEN-canary-0005'];

const configurationError = async (promise: Promise<unknown>): Promise<ConfigurationError> => {
  const configError = await configurationErrorOf(promise, CANARIES);
  expect(configError.name).toBe('ConfigurationError');
  return configError;
};

describe('credentials from the environment', () => {
  it('reads ModelArts credentials, the project of the region and the optional token', async () => {
    const store = createCredentialStore({ env: { ...HUAWEI } });
    await expect(store.get(modelArtsCredentials)).resolves.toEqual({
      accessKeyId: HUAWEI.HUAWEICLOUD_SDK_AK,
      secretAccessKey: HUAWEI.HUAWEICLOUD_SDK_SK,
      securityToken: undefined,
      projects: { 'cn-north-4': HUAWEI.HUAWEICLOUD_SDK_PROJECT_ID },
      defaultRegion: 'cn-north-4',
    });
    const withToken = createCredentialStore({
      env: { ...HUAWEI, HUAWEICLOUD_SDK_SECURITY_TOKEN: 'TOKEN-canary-0005' },
    });
    expect((await withToken.get(modelArtsCredentials)).securityToken).toBe('TOKEN-canary-0005');
  });

  it('reads BCC credentials with the optional session token and region', async () => {
    const store = createCredentialStore({
      env: { ...BAIDU, BCE_SESSION_TOKEN: 'TOKEN-canary-0005', BCE_REGION: 'gz' },
    });
    await expect(store.get(bccCredentials)).resolves.toEqual({
      accessKeyId: BAIDU.BCE_ACCESS_KEY_ID,
      secretAccessKey: BAIDU.BCE_SECRET_ACCESS_KEY,
      sessionToken: 'TOKEN-canary-0005',
      defaultRegion: 'gz',
    });
  });

  it('defaults the BCC region to bj, as the official SDK does, also when BCE_REGION is empty', async () => {
    expect(
      (await createCredentialStore({ env: { ...BAIDU } }).get(bccCredentials)).defaultRegion,
    ).toBe('bj');
    const empty = createCredentialStore({
      env: { ...BAIDU, BCE_REGION: '', BCE_SESSION_TOKEN: '' },
    });
    const credentials = await empty.get(bccCredentials);
    expect(credentials.defaultRegion).toBe('bj');
    expect(credentials.sessionToken).toBeUndefined();
  });

  it('names every missing ModelArts variable, treating empty strings as unset', async () => {
    const store = createCredentialStore({
      env: { HUAWEICLOUD_SDK_AK: HUAWEI.HUAWEICLOUD_SDK_AK, HUAWEICLOUD_SDK_SK: '' },
    });
    const error = await configurationError(store.get(modelArtsCredentials));
    expect(error.message).toContain('HUAWEICLOUD_SDK_SK');
    expect(error.message).toContain('HUAWEICLOUD_SDK_PROJECT_ID');
    expect(error.message).toContain('HUAWEICLOUD_REGION');
    expect(error.message).not.toContain('HUAWEICLOUD_SDK_AK');
    expect(error.message).not.toContain('SECURITY_TOKEN');
  });

  it.each(Object.keys(HUAWEI))('names %s when only it is missing', async (name) => {
    const env: Record<string, string | undefined> = { ...HUAWEI, [name]: undefined };
    const error = await configurationError(
      createCredentialStore({ env }).get(modelArtsCredentials),
    );
    expect(error.message).toMatch(new RegExp(`\\b${name}\\b`));
    expect(error.message.match(/HUAWEICLOUD_\w+/g)).toEqual([name]);
  });

  it('names the missing BCC variables', async () => {
    const none = await configurationError(createCredentialStore({ env: {} }).get(bccCredentials));
    expect(none.message).toContain('BCE_ACCESS_KEY_ID');
    expect(none.message).toContain('BCE_SECRET_ACCESS_KEY');
    const noSecret = await configurationError(
      createCredentialStore({ env: { BCE_ACCESS_KEY_ID: BAIDU.BCE_ACCESS_KEY_ID } }).get(
        bccCredentials,
      ),
    );
    expect(noSecret.message).toContain('BCE_SECRET_ACCESS_KEY');
    expect(noSecret.message).not.toContain('BCE_ACCESS_KEY_ID');
  });

  it('refuses malformed region variables', async () => {
    const huawei = createCredentialStore({ env: { ...HUAWEI, HUAWEICLOUD_REGION: 'CN North 4' } });
    expect((await configurationError(huawei.get(modelArtsCredentials))).message).toContain(
      'HUAWEICLOUD_REGION',
    );
    const baidu = createCredentialStore({ env: { ...BAIDU, BCE_REGION: 'bj/../x' } });
    expect((await configurationError(baidu.get(bccCredentials))).message).toContain('BCE_REGION');
  });

  it('refuses a key or token with a line break or control character, naming the variable only', async () => {
    const huawei = createCredentialStore({
      env: { ...HUAWEI, HUAWEICLOUD_SDK_AK: `${HUAWEI.HUAWEICLOUD_SDK_AK}\n` },
    });
    expect((await configurationError(huawei.get(modelArtsCredentials))).message).toBe(
      'Environment variable HUAWEICLOUD_SDK_AK must be printable characters without spaces or line breaks',
    );
    const baidu = createCredentialStore({
      env: { ...BAIDU, BCE_SESSION_TOKEN: 'TOKEN-canary-0005\rX' },
    });
    expect((await configurationError(baidu.get(bccCredentials))).message).toContain(
      'BCE_SESSION_TOKEN',
    );
  });

  it('keeps the providers apart: one configured, the other a ConfigurationError', async () => {
    const store = createCredentialStore({ env: { ...BAIDU } });
    await expect(store.get(bccCredentials)).resolves.toMatchObject({ defaultRegion: 'bj' });
    await configurationError(store.get(modelArtsCredentials));
  });

  it('reads the environment on every call, and an empty secret id means no secret', async () => {
    const env: Record<string, string | undefined> = { IMAGE_CREDENTIALS_SECRET_ID: '' };
    const store = createCredentialStore({ env });
    await configurationError(store.get(bccCredentials));
    Object.assign(env, BAIDU);
    await expect(store.get(bccCredentials)).resolves.toMatchObject({
      accessKeyId: BAIDU.BCE_ACCESS_KEY_ID,
    });
    env.BCE_REGION = 'su';
    expect((await store.get(bccCredentials)).defaultRegion).toBe('su');
    store.invalidate('bcc'); // nothing cached from the environment: harmless
    expect((await store.get(bccCredentials)).defaultRegion).toBe('su');
  });

  it('hands out frozen credentials', async () => {
    const credentials = await createCredentialStore({ env: { ...HUAWEI } }).get(
      modelArtsCredentials,
    );
    expect(Object.isFrozen(credentials)).toBe(true);
    expect(Object.isFrozen(credentials.projects)).toBe(true);
  });
});
