/**
 * FortiManager JSON-RPC status codes as the shared facts sheet lists them (§1). FMG answers every
 * failure with HTTP 200 and one of these in `result[i].status`.
 */
export const FMG = {
  ok: { code: 0, message: 'OK' },
  exists: { code: -2, message: 'Object already exists' },
  notFound: { code: -3, message: 'Object does not exist' },
  invalidUrl: { code: -6, message: 'Invalid url' },
  invalidData: { code: -10, message: 'The data is invalid for selected url' },
  noPermission: { code: -11, message: 'No permission for the resource' },
  parentMissing: { code: -20, message: 'Parent object does not exist' },
  loginFail: { code: -22, message: 'Login fail' },
  loginLimit: { code: -23, message: 'Reach login limit' },
  emptyGroup: { code: -9998, message: 'Empty group is not allowed' },
  used: { code: -10015, message: 'used' },
  badReference: { code: -10131, message: 'datasrc invalid' },
  noWritePermission: { code: -10147, message: 'no write permission' },
  lockAdomFirst: { code: -10148, message: 'lock local/global adom then try again' },
  lockRequired: { code: -20017, message: 'Lock reqired' },
  adomLocked: { code: -20036, message: 'ADOM is locked' },
  lockedByOther: { code: -20055, message: 'Workspace is locked by other user' },
} as const;

export type FmgStatus = { readonly code: number; readonly message: string };

/** A refusal the RPC layer turns into `{status: {code, message}}` of one result. */
export class FmgFailure extends Error {
  readonly code: number;

  constructor(status: FmgStatus, detail?: string) {
    super(detail === undefined ? status.message : `${status.message}: ${detail}`);
    this.code = status.code;
  }
}

export function fail(status: FmgStatus, detail?: string): never {
  throw new FmgFailure(status, detail);
}
