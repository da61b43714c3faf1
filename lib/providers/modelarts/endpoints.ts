// ModelArts endpoints: the official Huawei SDK region table (ModelArtsRegion.ts), where only
// ap-southeast-1 is on .myhuaweicloud.cn, plus Open Telekom Cloud eu-de.

const HUAWEI_REGIONS = [
  'cn-north-1',
  'cn-north-2',
  'cn-north-4',
  'cn-north-9',
  'cn-north-11',
  'cn-north-12',
  'cn-south-1',
  'cn-east-3',
  'cn-east-4',
  'cn-southwest-2',
  'cn-southwest-3',
  'ap-southeast-2',
  'ap-southeast-3',
  'ap-southeast-4',
  'la-south-2',
  'la-north-2',
  'af-south-1',
  'af-north-1',
  'tr-west-1',
  'me-east-1',
  'sa-brazil-1',
] as const;

export const MODELARTS_ENDPOINTS: Readonly<Record<string, string>> = {
  ...Object.fromEntries(
    HUAWEI_REGIONS.map((region) => [region, `https://modelarts.${region}.myhuaweicloud.com`]),
  ),
  'ap-southeast-1': 'https://modelarts.ap-southeast-1.myhuaweicloud.cn',
  'eu-de': 'https://modelarts.eu-de.otc.t-systems.com',
};
