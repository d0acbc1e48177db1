import type { CliFailure } from './model/cli-failure.js';
import type { JsonObject, JsonValue } from './model/json.js';
import type { DeviceProfile } from './profile.js';

/** `firewall/address` → `{path: 'firewall', name: 'address'}` as the envelope names it. */
export function splitTable(table: string): { path: string; name: string } {
  const at = table.indexOf('/');
  return at < 0 ? { path: table, name: '' } : { path: table.slice(0, at), name: table.slice(at + 1) };
}

function device(profile: DeviceProfile): JsonObject {
  return { serial: profile.serial, version: profile.versionText, build: profile.build };
}

export interface ListEnvelopeInput {
  method: string;
  vdom: string;
  table: string;
  revision: string;
  results: JsonValue;
  mkey?: string | number;
  size?: number;
  matchedCount?: number;
}

/** A successful read: a list, or a single entry (`results` still an array, plus `mkey`). */
export function readEnvelope(profile: DeviceProfile, input: ListEnvelopeInput): JsonObject {
  const out: JsonObject = { http_method: input.method };
  if (input.mkey === undefined && profile.listSizes && input.size !== undefined) {
    out.size = input.size;
    out.matched_count = input.matchedCount ?? input.size;
  }
  out.revision = input.revision;
  out.results = input.results;
  Object.assign(out, splitTable(input.table));
  out.vdom = input.vdom;
  if (input.mkey !== undefined) out.mkey = input.mkey;
  return { ...out, status: 'success', http_status: 200, ...device(profile) };
}

export interface WriteEnvelopeInput {
  method: string;
  vdom: string;
  table: string;
  oldRevision: string;
  revision: string;
  mkey?: string | number;
  results?: JsonValue;
}

export function writeEnvelope(profile: DeviceProfile, input: WriteEnvelopeInput): JsonObject {
  const out: JsonObject = {
    http_method: input.method,
    revision: input.revision,
    revision_changed: input.revision !== input.oldRevision,
    old_revision: input.oldRevision,
  };
  if (input.results !== undefined) out.results = input.results;
  if (input.mkey !== undefined) out.mkey = input.mkey;
  return {
    ...out,
    status: 'success',
    http_status: 200,
    vdom: input.vdom,
    ...splitTable(input.table),
    ...device(profile),
  };
}

export interface ErrorEnvelopeInput {
  method: string;
  vdom: string;
  table: string;
  mkey?: string | number;
  failure: CliFailure;
  /** 404s of 6.2 carry no `error` at all. */
  includeCode: boolean;
}

export function errorEnvelope(profile: DeviceProfile, input: ErrorEnvelopeInput): JsonObject {
  const out: JsonObject = {
    http_method: input.method,
    status: 'error',
    http_status: input.failure.httpStatus,
  };
  if (input.includeCode && input.failure.code !== undefined) out.error = input.failure.code;
  if (profile.cliErrors && input.failure.httpStatus === 500) out.cli_error = input.failure.cliError;
  out.vdom = input.vdom;
  Object.assign(out, splitTable(input.table));
  if (input.mkey !== undefined) out.mkey = input.mkey;
  return { ...out, ...device(profile) };
}

/** Monitor replies carry no `http_status` or `revision`; version, serial and build sit at the top. */
export function monitorEnvelope(
  profile: DeviceProfile,
  vdom: string,
  path: string,
  results: JsonValue,
): JsonObject {
  return {
    http_method: 'GET',
    results,
    vdom,
    ...splitTable(path),
    action: '',
    status: 'success',
    ...device(profile),
  };
}

const HTML_TITLES: Record<number, string> = {
  401: '401 Unauthorized',
  403: '403 Forbidden',
  405: '405 Method Not Allowed',
  413: '413 Request Entity Too Large',
  429: '429 Too Many Requests',
};

/** The device answers 401 and 429 with an HTML page, not JSON. */
export function htmlPage(status: number): string {
  const title = HTML_TITLES[status] ?? `${status} Error`;
  return (
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="UTF-8">\n' +
    `<title>${title}</title>\n</head>\n<body>\n<h1>${title}</h1>\n</body>\n</html>\n`
  );
}
