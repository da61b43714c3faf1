// The images every fresh emulator holds, built from the documented example records (OTC/Huawei
// ModelArts ShowImage and DeleteImage, Baidu BCC "Query Details of the Image"), with the drift the
// real services show: lowercase `"arch": "x86_64"` (documented enum is `X86_64`) and an extra
// `flavor_type` field on one ModelArts record (present in the SDK model, absent from the OTC doc).

import { SEEDED } from './demo.js';
import type { BccImageRecord, ModelArtsImageRecord } from './types.js';

export const seedModelArtsImages = (): ModelArtsImageRecord[] => [
  {
    // The ShowImage documented example, verbatim.
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
  },
  {
    // The DeleteImage documented example, before the delete (ACTIVE), plus `flavor_type`.
    arch: 'x86_64',
    create_at: 1671093486722,
    description: '',
    dev_services: ['NOTEBOOK', 'SSH'],
    flavor_type: 'CPU',
    id: SEEDED.modelarts.custom,
    name: 'mock-service-python',
    namespace: 'mock-service1',
    origin: 'CUSTOMIZE',
    resource_categories: ['CPU'],
    service_type: 'UNKNOWN',
    size: 387840321,
    status: 'ACTIVE',
    swr_path: 'swr.xxx.com/mock-service1/mock-service-python:0.0.17',
    tag: '0.0.17',
    type: 'DEDICATED',
    update_at: 1671093486722,
    visibility: 'PRIVATE',
    workspace_id: '0',
  },
  {
    // An image a notebook instance is still saving.
    arch: 'x86_64',
    create_at: 1700000000000,
    description: 'notebook snapshot being saved',
    dev_services: ['NOTEBOOK', 'SSH'],
    id: SEEDED.modelarts.creating,
    name: 'notebook-snapshot',
    namespace: 'mock-service1',
    origin: 'IMAGE_SAVE',
    resource_categories: ['CPU'],
    service_type: 'DEV',
    size: 0,
    status: 'CREATING',
    status_message: 'Image saving in progress.',
    swr_path: 'swr.xxx.com/mock-service1/notebook-snapshot:0.0.1',
    tag: '0.0.1',
    type: 'DEDICATED',
    update_at: 1700000000000,
    visibility: 'PRIVATE',
    workspace_id: '0',
  },
];

const bccRecord = (overrides: Partial<BccImageRecord> & Pick<BccImageRecord, 'id'>) =>
  ({
    name: 'ubuntu-14.04.1-server-amd64-201506171832',
    type: 'System',
    osType: 'linux',
    osVersion: '14.04.1 LTS',
    osArch: 'x86_64 (64bit)',
    osName: 'Ubuntu',
    osBuild: '2015061700',
    osLang: 'ENG',
    diskSize: 0,
    createTime: '2015-06-17T10:37:02Z',
    minDiskGb: 10,
    status: 'Available',
    specialVersion: '',
    ephemeralSize: 0,
    encrypted: false,
    package: false,
    desc: '',
    ...overrides,
  }) as BccImageRecord;

export const seedBccImages = (): BccImageRecord[] => [
  // The documented example record, verbatim.
  bccRecord({ id: SEEDED.bcc.system }),
  bccRecord({
    id: SEEDED.bcc.custom,
    name: 'my-custom-ubuntu',
    type: 'Custom',
    diskSize: 40,
    createTime: '2024-03-01T08:00:00Z',
    desc: 'custom image made from an instance',
  }),
  bccRecord({
    id: SEEDED.bcc.creating,
    name: 'my-custom-ubuntu-wip',
    type: 'Custom',
    status: 'Creating',
    diskSize: 40,
    createTime: '2024-03-02T08:00:00Z',
  }),
  bccRecord({
    id: SEEDED.bcc.sharedToOthers,
    name: 'my-shared-ubuntu',
    type: 'Custom',
    diskSize: 40,
    createTime: '2024-03-03T08:00:00Z',
  }),
];

/** Accounts each seeded BCC image is shared to. */
export const seedBccShares = (): Array<[string, string[]]> => [
  [SEEDED.bcc.sharedToOthers, ['demo-other-account']],
];
