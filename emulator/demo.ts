// Demo credentials and seeded image IDs shared by the emulator, `npm start` and the tests.
// None of these are real: the emulator is the only thing that accepts them.

export const DEMO_MODELARTS = {
  accessKeyId: 'DEMOMODELARTSAK000001',
  secretAccessKey: 'demo-modelarts-sk-not-a-real-secret-0001',
  projectId: '0a1b2c3d4e5f40718293a4b5c6d7e8f9',
  region: 'cn-north-4',
  /** The IAM user every ModelArts key the emulator accepts signs in as (ListNotebooks shows its own). */
  userId: '5f0e1d2c3b4a49687a6b5c4d3e2f1a0b',
} as const;

export const DEMO_BCC = {
  accessKeyId: 'demobccak00000000000000000000001',
  secretAccessKey: 'demobccsk00000000000000000000001',
  region: 'bj',
} as const;

/** IDs of the images every fresh emulator holds. */
export const SEEDED = {
  modelarts: {
    builtIn: '278e88d1-5b71-4766-8502-b3ba72e824d9',
    custom: 'c9ab2b2f-edda-4556-bdbb-494e868d043c',
    creating: '5d0f7a1e-3c4b-4e8a-9b2d-6f1e2a3b4c5d',
  },
  bcc: {
    system: 'm-nky7qeom',
    custom: 'm-custom01',
    creating: 'm-creating01',
    sharedToOthers: 'm-shared01',
  },
} as const;
