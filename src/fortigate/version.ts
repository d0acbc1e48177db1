/** A FortiOS version as `[major, minor, patch]`; compares lexicographically. */
export type FortiOSVersion = readonly [number, number, number];

/** Parses `v7.2.8`, `7.2.8` or `v7.4` (patch 0); undefined when it is not a version. */
export function parseFortiOSVersion(text: string): FortiOSVersion | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(text.trim());
  if (!match) return undefined;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}

export function compareVersions(a: FortiOSVersion, b: FortiOSVersion): number {
  for (let i = 0; i < 3; i++) {
    const diff = (a[i] ?? 0) - (b[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

export function versionAtLeast(version: FortiOSVersion, major: number, minor: number, patch = 0): boolean {
  return compareVersions(version, [major, minor, patch]) >= 0;
}

export function formatVersion(version: FortiOSVersion): string {
  return `v${version[0]}.${version[1]}.${version[2]}`;
}
