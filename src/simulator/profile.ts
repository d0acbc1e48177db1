import { formatVersion, parseFortiOSVersion, versionAtLeast } from '../fortigate/version.js';
import type { FortiOSVersion } from '../fortigate/version.js';

/**
 * CLI return codes the simulator answers. The shared spec marks most as [guess]; each can be
 * overridden so a test can mimic a particular firmware.
 */
export interface ErrorCodes {
  exists: number;
  inUse: number;
  badReference: number;
  /** Answered with HTTP 404; only sent in the body from 6.4 on (none on 6.2). */
  notFound: number;
  tooLong: number;
  empty: number;
  tableFull: number;
  nameClash: number;
  invalidIp: number;
  invalidMask: number;
  invalidValue: number;
}

export const DEFAULT_ERROR_CODES: ErrorCodes = {
  exists: -5,
  inUse: -23,
  badReference: -651,
  notFound: -3,
  tooLong: -72,
  empty: -56,
  tableFull: -4,
  nameClash: -163,
  invalidIp: -8,
  invalidMask: -9,
  invalidValue: -15,
};

/** Builds real devices answered with, for the versions demos and tests pick most. */
const KNOWN_BUILDS: Record<string, number> = {
  'v6.2.3': 1066,
  'v6.4.15': 2095,
  'v7.0.15': 632,
  'v7.2.5': 1517,
  'v7.2.8': 1639,
  'v7.4.1': 2463,
  'v7.4.4': 2662,
  'v7.4.5': 2702,
  'v7.6.0': 3401,
};

/** Everything about the device that depends on its firmware version. */
export interface DeviceProfile {
  version: FortiOSVersion;
  versionText: string;
  build: number;
  serial: string;
  hostname: string;
  modelName: string;
  modelNumber: string;
  model: string;
  /** 7.x adds `cli_error` to CLI failures. */
  cliErrors: boolean;
  /** 7.6 adds `size` and `matched_count` to lists. */
  listSizes: boolean;
  /** 6.2 answered 404 without `error`. */
  notFoundCodeInBody: boolean;
  transactions: boolean;
  /** From 7.4.5 the `access_token` query parameter is refused unless re-enabled. */
  urlTokenRefusedByDefault: boolean;
  maxNameLength: number;
  maxCommentLength: number;
  /** An empty string for an option attribute: `default` applies its default (6.x evidence), `refuse` answers invalidValue. */
  emptyOption: 'default' | 'refuse';
}

export function deviceProfile(
  versionText: string,
  overrides: { build?: number; serial?: string; hostname?: string; emptyOption?: 'default' | 'refuse' } = {},
): DeviceProfile {
  const version = parseFortiOSVersion(versionText);
  if (!version) throw new RangeError(`not a FortiOS version: ${versionText}`);
  const text = formatVersion(version);
  return {
    version,
    versionText: text,
    build: overrides.build ?? KNOWN_BUILDS[text] ?? 1000 + version[0] * 100 + version[1] * 10 + version[2],
    serial: overrides.serial ?? 'FGVM02TM00000001',
    hostname: overrides.hostname ?? 'fortisync-sim',
    modelName: 'FortiGate',
    modelNumber: 'VM64',
    model: 'FGVM64',
    cliErrors: versionAtLeast(version, 7, 0),
    listSizes: versionAtLeast(version, 7, 6),
    notFoundCodeInBody: versionAtLeast(version, 6, 4),
    transactions: versionAtLeast(version, 6, 4),
    urlTokenRefusedByDefault: versionAtLeast(version, 7, 4, 5),
    maxNameLength: versionAtLeast(version, 6, 2) ? 79 : 63,
    maxCommentLength: 255,
    emptyOption: overrides.emptyOption ?? 'default',
  };
}
