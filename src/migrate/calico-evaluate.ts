import type { CalicoSelector } from './calico-selector.js';

/** The label Calico gives every namespaced endpoint; `global()` matches what lacks it. */
export const CALICO_NAMESPACE_LABEL = 'projectcalico.org/namespace';

/**
 * Whether a parsed Calico selector matches a label set, with Calico's semantics: `!=` and `not in`
 * also match when the label is absent; `contains`, `starts with`, `ends with`, `==` and `in` need it.
 */
export function evaluateCalicoSelector(
  node: CalicoSelector,
  labels: Readonly<Record<string, string>>,
): boolean {
  const has = (key: string) => Object.prototype.hasOwnProperty.call(labels, key);
  const value = (key: string) => (has(key) ? labels[key] : undefined);
  switch (node.kind) {
    case 'all':
      return true;
    case 'global':
      return !has(CALICO_NAMESPACE_LABEL);
    case 'has':
      return has(node.key);
    case 'eq':
      return value(node.key) === node.value;
    case 'ne':
      return value(node.key) !== node.value;
    case 'contains':
      return value(node.key)?.includes(node.value) ?? false;
    case 'startsWith':
      return value(node.key)?.startsWith(node.value) ?? false;
    case 'endsWith':
      return value(node.key)?.endsWith(node.value) ?? false;
    case 'in':
      return has(node.key) && node.values.includes(value(node.key) as string);
    case 'notIn':
      return !(has(node.key) && node.values.includes(value(node.key) as string));
    case 'not':
      return !evaluateCalicoSelector(node.operand, labels);
    case 'and':
      return node.operands.every((operand) => evaluateCalicoSelector(operand, labels));
    case 'or':
      return node.operands.some((operand) => evaluateCalicoSelector(operand, labels));
  }
}
