/**
 * The kind of a JSON-RPC url, for metrics: a bounded vocabulary (object and group names, ADOM
 * names, task ids and where-used tokens never become label values).
 */
export type RequestKind =
  | 'firewall/address'
  | 'firewall/address6'
  | 'firewall/addrgrp'
  | 'firewall/addrgrp6'
  | 'firewall/addrgrp/member'
  | 'firewall/addrgrp6/member'
  | 'workspace/lock'
  | 'workspace/unlock'
  | 'workspace/commit'
  | 'workspace/lockinfo'
  | 'where-used'
  | 'install'
  | 'task'
  | 'package'
  | 'login'
  | 'system'
  | 'other';

const OBJECT = /\/obj\/(firewall\/(?:address6?|addrgrp6?))(?:\/(?:[^/\\]|\\\/|\\)+)?(\/member)?$/;
const WORKSPACE = /^dvmdb\/(?:adom\/(?:[^/\\]|\\.)+|global)\/workspace\/(lock|unlock|commit|lockinfo)$/;

export function requestKind(url: string): RequestKind {
  const u = url.replace(/^\//, '');
  if (u.startsWith('pm/config/')) {
    if (u.includes('/pkg/')) return 'package';
    const m = OBJECT.exec(u);
    if (!m) return 'other';
    const table = m[1] as 'firewall/address' | 'firewall/address6' | 'firewall/addrgrp' | 'firewall/addrgrp6';
    if (!m[2]) return table;
    return table === 'firewall/addrgrp' || table === 'firewall/addrgrp6' ? `${table}/member` : 'other';
  }
  const ws = WORKSPACE.exec(u);
  if (ws) return `workspace/${ws[1] as 'lock' | 'unlock' | 'commit' | 'lockinfo'}`;
  if (u.startsWith('cache/search/where/used/')) return 'where-used';
  if (u === 'securityconsole/install/package') return 'install';
  if (u.startsWith('task/task/')) return 'task';
  if (u.startsWith('pm/pkg/')) return 'package';
  if (u === 'sys/login/user' || u === 'sys/logout') return 'login';
  if (u === 'sys/status' || u === 'cli/global/system/global' || u.startsWith('dvmdb/adom/')) return 'system';
  return 'other';
}
