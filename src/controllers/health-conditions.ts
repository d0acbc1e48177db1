import { progressOf } from '../domain/health.js';
import { setCondition, type Condition } from '../runtime/conditions.js';

/**
 * Sets Reconciling and Stalled next to an already computed Ready condition: the one that applies
 * is True with Ready's reason and message, the other False; both False when Ready is True or the
 * spec asks for nothing to be written (dry run, suspend). Never both True. Callers set Ready first.
 */
export function withHealthConditions(
  conditions: readonly Condition[],
  gen: { observedGeneration?: number },
  now: number,
  youngerThanGrace = false,
): Condition[] {
  const ready = conditions.find((c) => c.type === 'Ready');
  if (!ready) return [...conditions];
  const progress = progressOf(ready, youngerThanGrace);
  const body = (type: 'reconciling' | 'stalled'): Pick<Condition, 'status' | 'reason' | 'message'> =>
    progress === type
      ? { status: 'True', reason: ready.reason, message: ready.message }
      : { status: 'False', reason: ready.status === 'True' ? 'Ready' : ready.reason, message: '' };
  const out = setCondition(conditions, { type: 'Reconciling', ...body('reconciling'), ...gen }, now);
  return setCondition(out, { type: 'Stalled', ...body('stalled'), ...gen }, now);
}
