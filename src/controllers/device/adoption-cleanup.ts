import type { IPFamily } from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { FortiOSError } from '../../fortigate/errors.js';
import { addressTable, groupTable, type WritableTable } from '../../fortigate/types.js';
import {
  cleanupCandidates,
  isTigeraComment,
  TIGERA_FILTER_TEXT,
  type AdoptionEvent,
  type TigeraObject,
} from '../../domain/adoption.js';
import { addressKey, groupKey, type ObservedDeviceState } from '../../domain/model.js';
import type { FortiOSApi } from './fortios-api.js';
import { ALL_FAMILIES } from './observe.js';

// `spec.adoption.cleanup: DeleteUnreferenced` (ADR 0004 §4): Tigera's objects nothing references
// are deleted at drift checks. Groups go first, so their members are unreferenced at the next check.

export interface CleanupRun {
  client: FortiOSApi;
  observed: ObservedDeviceState;
  /** Group names spec.adoption lists: never deleted by the cleanup. */
  adopting: ReadonlySet<string>;
  /** Object keys (table/name) a deletion was refused for: not retried until a restart. */
  refused: Set<string>;
  /** FortiManager's where-used; absent: FortiOS's `q_ref` from the `with_meta` list. */
  references?: (table: WritableTable, name: string) => Promise<number | undefined>;
}

export interface CleanupResult {
  deleted: string[];
  events: AdoptionEvent[];
  reads: number;
  writes: number;
}

export async function cleanUpTigera(run: CleanupRun): Promise<CleanupResult> {
  const result: CleanupResult = { deleted: [], events: [], reads: 0, writes: 0 };
  for (const family of ALL_FAMILIES) {
    await deleteUnreferenced(run, groupTable(family), family, result);
    await deleteUnreferenced(run, addressTable(family), family, result);
  }
  if (result.deleted.length > 0) {
    result.events.push({
      type: 'Normal',
      reason: 'CalicoEnterpriseObjectsDeleted',
      message: `deleted ${result.deleted.length} unreferenced Calico Enterprise object(s) (spec.adoption.cleanup): ${result.deleted.slice(0, 20).join(', ')}${result.deleted.length > 20 ? ', …' : ''}`,
    });
  }
  return result;
}

async function deleteUnreferenced(
  run: CleanupRun,
  table: WritableTable,
  family: IPFamily,
  result: CleanupResult,
): Promise<void> {
  const entries = await run.client.list(table, {
    filter: [[{ field: 'comment', op: '=@', value: TIGERA_FILTER_TEXT }]],
    format: ['name', 'comment'],
    withMeta: true,
  });
  result.reads++;
  const refusedHere = [...run.refused]
    .filter((k) => k.startsWith(`${table}/`))
    .map((k) => k.slice(table.length + 1));
  const keep = new Set([...run.adopting, ...refusedHere]);
  const candidates = cleanupCandidates(await withRefs(run, table, entries, keep, result), keep);
  for (const name of candidates) {
    // Read again right before the delete: the comment must still be Tigera's.
    result.reads++;
    const current = await run.client.get(table, name);
    if (!current || !isTigeraComment(current.comment)) continue;
    try {
      await run.client.delete(table, name);
      result.writes++;
      result.deleted.push(name);
      forget(run.observed, table, family, name);
    } catch (err) {
      if (!(err instanceof FortiOSError) || (err.kind !== 'in-use' && err.kind !== 'not-found')) throw err;
      if (err.kind === 'in-use') {
        run.refused.add(`${table}/${name}`);
        result.events.push({
          type: 'Warning',
          reason: 'CalicoEnterpriseObjectInUse',
          message: `Calico Enterprise object ${name} (${table}) looked unreferenced but the firewall refused to delete it (in use); left in place and not retried until the operator restarts`,
        });
      }
    }
  }
}

/** The entries with their reference counts: `q_ref`, or (FortiManager) where-used per possible candidate. */
async function withRefs(
  run: CleanupRun,
  table: WritableTable,
  entries: readonly { name: string; comment?: string; q_ref?: number }[],
  keep: ReadonlySet<string>,
  result: CleanupResult,
): Promise<TigeraObject[]> {
  const objects: TigeraObject[] = [];
  for (const e of entries) {
    let refs = e.q_ref;
    if (run.references) {
      if (!isTigeraComment(e.comment) || keep.has(e.name)) continue;
      result.reads++;
      refs = await run.references(table, e.name);
    }
    objects.push({ name: e.name, comment: e.comment, refs });
  }
  return objects;
}

function forget(observed: ObservedDeviceState, table: WritableTable, family: IPFamily, name: string): void {
  if (table.includes('addrgrp')) observed.groups.delete(groupKey(family, name));
  else observed.addresses.delete(addressKey(family, name));
}
