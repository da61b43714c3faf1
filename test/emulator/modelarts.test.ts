import { describe, expect, it } from 'vitest';
import { DEMO_MODELARTS, SEEDED } from '../../emulator/demo.js';
import { useFixture } from '../support/fixture.js';
import {
  json,
  modelArtsRequest,
  send,
  signedModelArts,
  signedModelArtsWith,
  tamperSignature,
} from './client.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const LOCKOUT_MS = 60_000;
const fixture = useFixture({
  emulator: { lockoutMs: LOCKOUT_MS },
  clock: '2026-03-01T12:00:00Z',
  demoEnv: false,
});
const { clock } = fixture;

const call = (
  method: 'GET' | 'DELETE',
  id: string,
  options?: Parameters<typeof modelArtsRequest>[3],
) =>
  send(signedModelArts(modelArtsRequest(fixture.emulator.url, method, id, options), clock.now()));

const authFailure = {
  error_msg: 'Incorrect IAM authentication information: verify aksk signature fail',
  error_code: 'APIGW.0301',
  request_id: expect.stringMatching(UUID),
};

describe('ModelArts ShowImage', () => {
  it('returns the seeded built-in image: the documented example record', async () => {
    const response = await call('GET', SEEDED.modelarts.builtIn);
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(response.headers['content-type']).toBe('application/json');
    expect(json(response)).toEqual({
      arch: 'x86_64',
      create_at: 1638234504492,
      description:
        'CPU and GPU general algorithm development and training, preconfigured with AI engine PyTorch1.8',
      dev_services: ['NOTEBOOK', 'SSH'],
      id: SEEDED.modelarts.builtIn,
      name: 'pytorch1.8-cuda10.2-cudnn7-ubuntu18.04',
      resource_categories: ['GPU', 'CPU'],
      service_type: 'COMMON',
      status: 'ACTIVE',
      swr_path:
        'swr.xxx.com/atelier/pytorch_1_8:pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64-20220926104358-041ba2e',
      tag: 'pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64-20220926104358-041ba2e',
      type: 'BUILD_IN',
      update_at: 1638234504492,
      workspace_id: '0',
    });
  });

  it('returns the custom and creating images with their drift (flavor_type)', async () => {
    const custom = json(await call('GET', SEEDED.modelarts.custom));
    expect(custom).toMatchObject({
      type: 'DEDICATED',
      status: 'ACTIVE',
      visibility: 'PRIVATE',
      flavor_type: 'CPU',
      size: 387840321,
    });
    const creating = json(await call('GET', SEEDED.modelarts.creating));
    expect(creating).toMatchObject({ type: 'DEDICATED', status: 'CREATING' });
  });

  it('answers 404 ModelArts.6797 for a missing image', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const response = await call('GET', id);
    expect(response.status).toBe(404);
    expect(response.headers['x-request-id']).toMatch(UUID);
    expect(json(response)).toEqual({
      error_code: 'ModelArts.6797',
      error_msg: `Specified image ${id} cannot be found.`,
    });
  });

  it('turns a creating image ACTIVE after N further GETs', async () => {
    fixture.emulator.state.readyAfterGets('modelarts', SEEDED.modelarts.creating, 2);
    const statuses: unknown[] = [];
    for (let i = 0; i < 3; i++) {
      statuses.push(
        (json(await call('GET', SEEDED.modelarts.creating)) as { status: string }).status,
      );
    }
    expect(statuses).toEqual(['CREATING', 'CREATING', 'ACTIVE']);
    expect(fixture.emulator.state.modelarts.get(SEEDED.modelarts.creating)?.status).toBe('ACTIVE');
  });
});

describe('ModelArts DeleteImage', () => {
  it('deletes a custom image: 200 with the record marked DELETED, then it is gone', async () => {
    const response = await call('DELETE', SEEDED.modelarts.custom);
    expect(response.status).toBe(200);
    expect(json(response)).toMatchObject({
      id: SEEDED.modelarts.custom,
      status: 'DELETED',
      type: 'DEDICATED',
      name: 'mock-service-python',
    });
    expect(fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom)).toBeUndefined();
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
    expect((await call('GET', SEEDED.modelarts.custom)).status).toBe(404);
  });

  it('answers 400 ModelArts.6404 for a missing image (a second delete)', async () => {
    await call('DELETE', SEEDED.modelarts.custom);
    const again = await call('DELETE', SEEDED.modelarts.custom);
    expect(again.status).toBe(400);
    expect(json(again)).toEqual({
      error_code: 'ModelArts.6404',
      error_msg: `Image ${SEEDED.modelarts.custom} does not exist.`,
    });
    expect(fixture.emulator.state.deleteCount('modelarts', SEEDED.modelarts.custom)).toBe(1);
  });

  it('refuses a built-in image with 403 ModelArts.6653', async () => {
    const response = await call('DELETE', SEEDED.modelarts.builtIn);
    expect(response.status).toBe(403);
    expect(json(response)).toMatchObject({ error_code: 'ModelArts.6653' });
    expect(fixture.emulator.state.modelarts.get(SEEDED.modelarts.builtIn)).toBeDefined();
  });

  it('refuses a creating image with 400 ModelArts.6357', async () => {
    const response = await call('DELETE', SEEDED.modelarts.creating);
    expect(response.status).toBe(400);
    expect(json(response)).toEqual({
      error_code: 'ModelArts.6357',
      error_msg:
        'The operation is not allowed because another operation is being performed on the instance or the instance is in the target state.',
    });
  });

  it('accepts ?force=true and the SDK body {"is_force":true}, and records both', async () => {
    const response = await call('DELETE', SEEDED.modelarts.custom, {
      query: [['force', 'true']],
      body: '{"is_force":true}',
    });
    expect(response.status).toBe(200);
    const recorded = fixture.emulator.requests.at(-1);
    expect(recorded).toMatchObject({
      provider: 'modelarts',
      method: 'DELETE',
      path: `/v1/${DEMO_MODELARTS.projectId}/images/${SEEDED.modelarts.custom}`,
      query: [['force', 'true']],
      body: '{"is_force":true}',
      imageId: SEEDED.modelarts.custom,
      status: 200,
      time: '2026-03-01T12:00:00.000Z',
    });
  });

  it('rejects a bad force value or body with 400 ModelArts.6400', async () => {
    const bad = await call('DELETE', SEEDED.modelarts.custom, { query: [['force', 'yes']] });
    expect(bad.status).toBe(400);
    expect(json(bad)).toMatchObject({ error_code: 'ModelArts.6400' });
    const badBody = await call('DELETE', SEEDED.modelarts.custom, { body: '{"is_force":"x"}' });
    expect(json(badBody)).toMatchObject({ error_code: 'ModelArts.6400' });
    expect(fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom)).toBeDefined();
  });
});

describe('ModelArts project and routing', () => {
  it('refuses another project in the path with 403 APIGW.0310', async () => {
    const response = await call('GET', SEEDED.modelarts.builtIn, {
      projectId: 'ffffffffffffffffffffffffffffffff',
    });
    expect(response.status).toBe(403);
    expect(json(response)).toEqual({
      error_msg: 'The project is unavailable.',
      error_code: 'APIGW.0310',
      request_id: response.headers['x-request-id'],
    });
  });

  it('checks X-Project-Id when sent', async () => {
    const request = modelArtsRequest(fixture.emulator.url, 'GET', SEEDED.modelarts.builtIn);
    const good = await send(
      signedModelArts(request, clock.now(), { projectId: DEMO_MODELARTS.projectId }),
    );
    expect(good.status).toBe(200);
    const bad = await send(signedModelArts(request, clock.now(), { projectId: 'other' }));
    expect(bad.status).toBe(403);
  });

  it('answers 404 APIGW.0101 for an API it does not have', async () => {
    const request = {
      ...modelArtsRequest(fixture.emulator.url, 'GET', SEEDED.modelarts.builtIn),
      path: `/v1/${DEMO_MODELARTS.projectId}/training-jobs`,
    };
    const response = await send(signedModelArts(request, clock.now()));
    expect(response.status).toBe(404);
    expect(json(response)).toMatchObject({ error_code: 'APIGW.0101' });
  });
});

describe('ModelArts signature verification', () => {
  const request = () => modelArtsRequest(fixture.emulator.url, 'GET', SEEDED.modelarts.builtIn);

  it('rejects a tampered signature', async () => {
    const response = await send(tamperSignature(signedModelArts(request(), clock.now())));
    expect(response.status).toBe(401);
    expect(json(response)).toEqual(authFailure);
    expect((json(response) as { request_id: string }).request_id).toBe(
      response.headers['x-request-id'],
    );
  });

  it('rejects a signature made with the wrong SK', async () => {
    const response = await send(
      signedModelArts(request(), clock.now(), { secretAccessKey: 'not-the-secret' }),
    );
    expect(response.status).toBe(401);
    expect(json(response)).toEqual(authFailure);
  });

  it('rejects an unknown AK', async () => {
    const response = await send(
      signedModelArts(request(), clock.now(), { accessKeyId: 'UNKNOWNAK' }),
    );
    expect(response.status).toBe(401);
    expect(json(response)).toEqual(authFailure);
  });

  it('rejects a request whose body differs from the signed one', async () => {
    const signed = signedModelArts(
      modelArtsRequest(fixture.emulator.url, 'DELETE', SEEDED.modelarts.custom, { body: '{}' }),
      clock.now(),
    );
    const response = await send({ ...signed, body: '{ }' });
    expect(response.status).toBe(401);
    expect(fixture.emulator.state.modelarts.get(SEEDED.modelarts.custom)).toBeDefined();
  });

  it('rejects an X-Sdk-Date more than 15 minutes off, with the expiry message', async () => {
    const signed = signedModelArts(request(), clock.now());
    clock.advance(15 * 60_000 + 1000);
    const response = await send(signed);
    expect(response.status).toBe(401);
    expect(json(response)).toMatchObject({
      error_code: 'APIGW.0301',
      error_msg:
        'Incorrect IAM authentication information: calc aksk signature fail:signature expired, signature time:20260301T120000Z,server time:20260301T121501Z',
    });
  });

  it('accepts an X-Sdk-Date within 15 minutes either way', async () => {
    const signed = signedModelArts(request(), clock.now());
    clock.advance(14 * 60_000);
    expect((await send(signed)).status).toBe(200);
    clock.advance(-28 * 60_000);
    expect((await send(signed)).status).toBe(200);
  });

  it('requires x-sdk-date among the signed headers (host is optional)', async () => {
    const withoutDate = await send(signedModelArtsWith(request(), clock.now(), ['host']));
    expect(withoutDate.status).toBe(401);
    expect(json(withoutDate)).toEqual(authFailure);
    const dateOnly = await send(signedModelArtsWith(request(), clock.now(), ['x-sdk-date']));
    expect(dateOnly.status).toBe(200);
  });

  it('says x-auth-token not found when there is no Authorization', async () => {
    const response = await send({ ...request(), headers: { 'X-Sdk-Date': '20260301T120000Z' } });
    expect(response.status).toBe(401);
    expect(json(response)).toMatchObject({
      error_code: 'APIGW.0301',
      error_msg: 'Incorrect IAM authentication information: x-auth-token not found',
    });
  });

  it('locks the AK after 6 consecutive failures, until lockoutMs has passed', async () => {
    for (let i = 0; i < 6; i++) {
      const bad = await send(tamperSignature(signedModelArts(request(), clock.now())));
      expect(json(bad)).toEqual(authFailure);
    }
    const locked = await send(signedModelArts(request(), clock.now()));
    expect(locked.status).toBe(401);
    expect(json(locked)).toMatchObject({
      error_code: 'APIGW.0301',
      error_msg:
        'Incorrect IAM authentication information: AK access failed to reach the limit,forbidden',
    });
    clock.advance(LOCKOUT_MS - 1000);
    expect((await send(signedModelArts(request(), clock.now()))).status).toBe(401);
    clock.advance(1000);
    expect((await send(signedModelArts(request(), clock.now()))).status).toBe(200);
  });

  it('does not lock after 5 failures, and a success resets the count', async () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 5; i++) {
        await send(tamperSignature(signedModelArts(request(), clock.now())));
      }
      expect((await send(signedModelArts(request(), clock.now()))).status).toBe(200);
    }
  });

  it('verifies percent-encoded path segments against the decoded path', async () => {
    const id = 'odd id:(1)*';
    const response = await send(
      signedModelArts(modelArtsRequest(fixture.emulator.url, 'GET', id), clock.now()),
    );
    expect(response.status).toBe(404);
    expect(json(response)).toMatchObject({ error_code: 'ModelArts.6797' });
    expect(fixture.emulator.requests.at(-1)?.imageId).toBe(id);
  });
});
