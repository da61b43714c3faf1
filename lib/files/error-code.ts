// The code of a failed file-system call (ENOENT, EEXIST, ...), read from whatever was thrown.

export const errorCode = (error: unknown): unknown =>
  (error as { code?: unknown } | undefined)?.code;
