// BCC endpoints: the regions Baidu AI Cloud documents (BCC "Service Domain"), each at
// https://bcc.{region}.baidubce.com.

const BCC_REGIONS = ['bj', 'gz', 'su', 'hkg', 'fwh', 'bd', 'sin', 'fsh'] as const;

export const BCC_ENDPOINTS: Readonly<Record<string, string>> = Object.fromEntries(
  BCC_REGIONS.map((region) => [region, `https://bcc.${region}.baidubce.com`]),
);
