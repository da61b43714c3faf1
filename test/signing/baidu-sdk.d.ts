// Type shim for the official Baidu JS SDK, used only as a test oracle. The package's own
// `types/` folder is not referenced from its package.json and does not declare `Auth`.
// Signatures follow node_modules/@baiducloud/sdk/src/auth.js (v1.0.7).

declare module '@baiducloud/sdk' {
  export class Auth {
    constructor(ak: string, sk: string);
    /**
     * `resource` is used as the canonical URI unchanged (pre-encode it); `params` keys are not
     * encoded (values are); `x-bce-*` headers are always signed, `headersToSign` adds to them
     * (default host, content-md5, content-length, content-type); `timestamp` is in seconds and a
     * falsy one means "now"; a falsy `expirationInSeconds` means 1800.
     */
    generateAuthorization(
      method: string,
      resource: string,
      params?: Readonly<Record<string, string | null>>,
      headers?: Readonly<Record<string, string | number>>,
      timestamp?: number,
      expirationInSeconds?: number,
      headersToSign?: readonly string[],
    ): string;
    queryStringCanonicalization(params: Readonly<Record<string, string | null>>): string;
    headersCanonicalization(
      headers: Readonly<Record<string, string | number>>,
      headersToSign?: readonly string[],
    ): [string, string[]];
    getTimestamp(timestamp?: number): string;
  }

  const sdk: { Auth: typeof Auth };
  export default sdk;
}
