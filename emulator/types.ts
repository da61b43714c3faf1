// Types shared by the emulator's modules and by tests that drive it.

export type ProviderKey = 'modelarts' | 'bcc';

/** The provider operations the emulator serves (what a fault can match on). */
export type Operation =
  | 'show'
  | 'delete'
  | 'list-images'
  | 'list-notebooks'
  | 'list-all-notebooks'
  | 'list-instances';

export const OPERATIONS: readonly Operation[] = [
  'show',
  'delete',
  'list-images',
  'list-notebooks',
  'list-all-notebooks',
  'list-instances',
];

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonValue[]
  | { [key: string]: JsonValue | undefined };

export type JsonObject = { [key: string]: JsonValue | undefined };

/**
 * A ModelArts image record as ShowImage returns it. Only `id` is required (it keys the store);
 * everything is kept as given (the real service returns fields the docs omit).
 */
export interface ModelArtsImageRecord extends JsonObject {
  id: string;
  /** `INIT`, `CREATING`, `CREATE_FAILED`, `ERROR`, `DELETED`, `ACTIVE`. */
  status?: string;
  /** `BUILD_IN` or `DEDICATED`. */
  type?: string;
}

/** A BCC ImageModel as `GET /v2/image/{id}` returns it inside `{"image": ...}`. */
export interface BccImageRecord extends JsonObject {
  id: string;
  /** `Creating`, `CreateFailed`, `Available`, `NotAvailable`, `Error`. */
  status?: string;
  /** `System`, `Custom`, `Integration`, `Sharing`, `GpuBccCustom`, ... */
  type?: string;
}

/**
 * A ModelArts notebook instance as ListNotebooks returns it. `image.id` names the image it uses
 * (what makes an image "in use"); `user.id` the IAM user who owns it (absent: the demo user,
 * `DEMO_MODELARTS.userId`); the rest is kept as given.
 */
export interface NotebookRecord extends JsonObject {
  id: string;
  name?: string;
  /** `INIT`, `CREATING`, `STARTING`, `STOPPING`, `DELETING`, `RUNNING`, `STOPPED`, `SNAPSHOTTING`, ... */
  status?: string;
  image: { id: string; name?: string; swr_path?: string; type?: string } & JsonObject;
  user?: { id: string; name?: string } & JsonObject;
}

/** A BCC instance as `GET /v2/instance` returns it; `imageId` names the image it was built from. */
export interface BccInstanceRecord extends JsonObject {
  id: string;
  name?: string;
  /** `Running`, `Stopped`, `Starting`, `Stopping`, `Recycled`, ... */
  status?: string;
  imageId: string;
}

/** One provider request as the emulator received and answered it. */
export interface RecordedRequest {
  /** Which provider's API the path belongs to; `undefined` for paths neither provider serves. */
  provider: ProviderKey | undefined;
  method: string;
  /** The raw path as received (still percent-encoded). */
  path: string;
  /** Decoded query pairs in the order received. */
  query: Array<[string, string]>;
  /** Headers as received (lower-case names). */
  headers: Record<string, string>;
  /** The raw body text ('' when none). */
  body: string;
  /** The image ID the path names (decoded), when it names one. */
  imageId: string | undefined;
  /** The operation the path and method name; `undefined` for APIs the emulator does not serve. */
  operation: Operation | undefined;
  /** The access key of a request whose signature was accepted. */
  accessKeyId: string | undefined;
  /** True when the request-rate limit refused it (429, not handled). */
  throttled: boolean;
  /** HTTP status sent; `undefined` when no status line was sent (reset, stall). */
  status: number | undefined;
  /** The fault that shaped the reply, if any. */
  fault: string | undefined;
  /** Emulator clock (`now`) when the request arrived, ISO 8601. */
  time: string;
}
