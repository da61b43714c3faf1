// One realistic image without its provider record (as plans, runs and events keep images), for
// the suites that need an image but not a cloud.

export const SAMPLE_IMAGE = {
  provider: 'modelarts',
  region: 'cn-north-4',
  id: '00000000-0000-4000-8000-000000000001',
  name: 'train-resnet',
  status: 'available' as const,
  providerStatus: 'ACTIVE',
  kind: 'custom' as const,
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
};
