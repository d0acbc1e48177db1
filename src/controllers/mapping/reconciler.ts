import type { CustomObjectsApi } from '@kubernetes/client-node';
import type { FortiGateDevice } from '../../api/v1alpha1/fortigate-device.js';
import type { FortiManagerTarget } from '../../api/v1alpha1/fortimanager-target.js';
import {
  MAPPING_KIND,
  type FortiGateEndpointMapping,
} from '../../api/v1alpha1/fortigate-endpoint-mapping.js';
import { checkMappingSpec, formatProblems } from '../../api/v1alpha1/validation.js';
import type { ClusterView } from '../../domain/desired.js';
import type { Clock } from '../../runtime/clock.js';
import { findCondition } from '../../runtime/conditions.js';
import type { ReconcileContext, ReconcileResult, Reconciler } from '../../runtime/controller.js';
import type { EventRecorder } from '../../runtime/event-recorder.js';
import { ensureFinalizer, hasFinalizer, removeFinalizer } from '../../runtime/finalizers.js';
import type { StatusPatcher } from '../../runtime/status-patcher.js';
import type { SyncReports } from '../device/sync-state.js';
import type { MemberCache } from '../member-cache.js';
import { CLEANUP_FINALIZER, MAPPING_GVP, objectRef } from '../resources.js';
import { splitKey, type Lister } from '../../runtime/store.js';
import { computeMappingStatus, targetRefs, targetViewKey, type DeviceView } from './status.js';

export interface MappingReconcilerDeps {
  mappings: Lister<FortiGateEndpointMapping>;
  devices: Lister<FortiGateDevice>;
  view: ClusterView;
  /** Members remembered between reconciles (shared with the device syncs); computed afresh without. */
  memberCache?: MemberCache;
  /** Each device's last sync (read-only). */
  syncReports: SyncReports;
  /** FortiManagerTargets and their syncs' results; absent, a mapping naming one sees it missing. */
  fortiManagerTargets?: Lister<FortiManagerTarget>;
  targetReports?: SyncReports;
  customObjects: Pick<CustomObjectsApi, 'patchClusterCustomObject' | 'patchNamespacedCustomObject'>;
  statusPatcher: Pick<StatusPatcher, 'patch' | 'patchOrDefer'>;
  events: Pick<EventRecorder, 'record'>;
  clock: Clock;
  enqueueDevice: (name: string) => void;
  /** Members per mapping, for metrics. */
  onMembers?: (namespace: string, name: string, members: number | undefined) => void;
}

/**
 * Keeps a mapping's finalizer and status true. It never talks to a FortiGate: device syncs do the
 * writing, and this reconciler reports their results per mapping.
 */
export class MappingReconciler implements Reconciler<string> {
  constructor(private readonly deps: MappingReconcilerDeps) {}

  async reconcile(key: string, ctx: ReconcileContext): Promise<ReconcileResult | void> {
    const { deps } = this;
    const mapping = deps.mappings.get(key);
    if (!mapping) {
      const { namespace, name } = splitKey(key);
      deps.onMembers?.(namespace ?? '', name, undefined);
      return;
    }
    const ref = { ...MAPPING_GVP, namespace: mapping.metadata.namespace ?? '', name: mapping.metadata.name };
    const check = checkMappingSpec(mapping.spec);
    const spec = check.ok ? check.spec : undefined;
    const deleting = Boolean(mapping.metadata.deletionTimestamp);

    if (!deleting) await ensureFinalizer(deps.customObjects, ref, mapping, CLEANUP_FINALIZER);
    else if (!hasFinalizer(mapping, CLEANUP_FINALIZER)) return;

    const deviceViews = new Map<string, DeviceView>();
    for (const ref of targetRefs(spec ?? mapping.spec ?? {})) {
      const fmg = ref.kind === 'FortiManagerTarget';
      deviceViews.set(targetViewKey(ref), {
        kind: ref.kind,
        device: fmg ? deps.fortiManagerTargets?.get(ref.name) : deps.devices.get(ref.name),
        sync: (fmg ? deps.targetReports : deps.syncReports)?.report(ref.name),
      });
    }
    const result = computeMappingStatus(
      mapping,
      spec,
      check.ok ? undefined : formatProblems(check.problems),
      deviceViews,
      deps.view,
      deps.clock.now(),
      deps.memberCache?.membersOf,
    );

    if (deleting) {
      if (result.released) {
        await removeFinalizer(deps.customObjects, ref, mapping, CLEANUP_FINALIZER);
        ctx.logger.info('members removed from every device; finalizer released');
        deps.onMembers?.(ref.namespace, ref.name, undefined);
        return;
      }
      // The devices were enqueued by the deletion event and retry on their own schedule. Enqueuing
      // them here on every reconcile made a hot loop with a failing device (its failure re-enqueues
      // this mapping): a missing Secret or an unreachable device spun both controllers without pause.
      await deps.statusPatcher.patch(mapping, result.status);
      return { requeueAfterMs: 30_000 };
    }

    const before = findCondition(mapping.status?.conditions, 'Ready');
    const outcome = await deps.statusPatcher.patchOrDefer(mapping, result.status);
    const wrote = outcome.written;
    deps.onMembers?.(ref.namespace, ref.name, result.status.members);
    if (wrote) {
      const after = findCondition(result.status.conditions, 'Ready');
      const regarding = objectRef(MAPPING_KIND, mapping);
      if (after && (before?.status !== after.status || before?.reason !== after.reason)) {
        void deps.events.record(
          regarding,
          after.status === 'True' ? 'Normal' : 'Warning',
          after.reason,
          'Reconcile',
          after.message,
        );
      }
      const prevMembers = mapping.status?.members;
      if (after?.status === 'True' && prevMembers !== undefined && prevMembers !== result.status.members) {
        void deps.events.record(
          regarding,
          'Normal',
          'MembersChanged',
          'Sync',
          `${spec?.addressGroup} now holds ${result.status.members} member(s) from this mapping (was ${prevMembers})`,
        );
      }
    }
    // A member count held back by the progress interval is written by a later reconcile; a grace
    // period that ends turns DeviceNotFound from progress into Stalled.
    const later = [outcome.retryAfterMs, result.recheckAfterMs].filter(
      (ms): ms is number => ms !== undefined,
    );
    return later.length > 0 ? { requeueAfterMs: Math.min(...later) } : undefined;
  }
}
