import type { IncomingMessage } from 'node:http';
import { normaliseIp } from './auth.js';
import { splitPath } from './http-io.js';

/** One REST request as the simulator routes and logs it. */
export interface SimRequest {
  method: string;
  rawPath: string;
  rawQuery: string;
  query: URLSearchParams;
  sourceIp: string;
  /** The client's User-Agent (fortisync sends its replica's identity): who sent it, in the log. */
  userAgent: string | undefined;
  /** Decoded path segments; undefined when the path is not valid percent-encoding. */
  segments: string[] | undefined;
  /** `cmdb` or `monitor` for /api/v2/<api>/…. */
  api: string | undefined;
  /** The segments after /api/v2/<api>. */
  apiSegments: string[];
  /** `firewall/address`, `cmdb` (the whole-CMDB path), `monitor/…`; for faults and the log. */
  table: string | undefined;
  mkey: string | undefined;
  transactionId: number | undefined;
  /** undefined when the body was too large. */
  bodyText: string | undefined;
}

export function parseRequest(req: IncomingMessage, bodyText: string | undefined): SimRequest {
  const url = req.url ?? '/';
  const queryAt = url.indexOf('?');
  const rawPath = queryAt < 0 ? url : url.slice(0, queryAt);
  const rawQuery = queryAt < 0 ? '' : url.slice(queryAt + 1);
  const segments = splitPath(rawPath);
  const api = segments?.[0] === 'api' && segments[1] === 'v2' ? segments[2] : undefined;
  const apiSegments = segments?.slice(3) ?? [];
  const transactionHeader = req.headers['x-transaction-id'];
  return {
    method: (req.method ?? 'GET').toUpperCase(),
    rawPath,
    rawQuery,
    query: new URLSearchParams(rawQuery),
    sourceIp: normaliseIp(req.socket.remoteAddress),
    userAgent: req.headers['user-agent'],
    segments,
    api,
    apiSegments,
    table: tableOf(api, apiSegments),
    mkey: api === 'cmdb' ? (apiSegments[4] ?? apiSegments[2]) : undefined,
    transactionId:
      typeof transactionHeader === 'string' && /^\d+$/.test(transactionHeader)
        ? Number(transactionHeader)
        : undefined,
    bodyText,
  };
}

function tableOf(api: string | undefined, apiSegments: string[]): string | undefined {
  if (api === 'cmdb') return apiSegments.length === 0 ? 'cmdb' : apiSegments.slice(0, 2).join('/');
  if (api === 'monitor') return `monitor/${apiSegments.join('/')}`;
  return undefined;
}
