import { progressOf, type Progress } from '../domain/health.js';
import { setCondition, type Condition } from '../runtime/conditions.js';

/**
 * Sets Reconciling and Stalled next to an already computed Ready condition: the one that applies
 * is True with Ready's reason and message, the other False; both False when Ready is True or the
 * spec asks for nothing to be written (dry run, suspend). Never both True.
 */
export function withHealthConditions(
  conditions: readonly Condition[],
  gen: { observedGeneration?: number },
  now: number,
  youngerThanGrace = false,
): { conditions: Condition[]; progress: Progress } {
  const ready = conditions.find((c) => c.type === 'Ready');
  const progress = ready ? progressOf(ready, youngerThanGrace) : 'reconciling';
  const body = (type: 'reconciling' | 'stalled'): Pick<Condition, 'status' | 'reason' | 'message'> =>
    progress === type && ready
      ? { status: 'True', reason: ready.reason, message: ready.message }
      : {
          status: 'False',
          reason: ready?.status === 'True' ? 'Ready' : (ready?.reason ?? 'Pending'),
          message: '',
        };
  let out = setCondition(conditions, { type: 'Reconciling', ...body('reconciling'), ...gen }, now);
  out = setCondition(out, { type: 'Stalled', ...body('stalled'), ...gen }, now);
  return { conditions: out, progress };
}
