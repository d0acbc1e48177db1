import type { LabelSelector, LabelSelectorRequirement } from '../api/v1alpha1/common.js';
import { CALICO_NAMESPACE_LABEL } from './calico-evaluate.js';
import { formatCalicoSelector, type CalicoSelector } from './calico-selector.js';

/**
 * Calico selector → Kubernetes label selectors, exactly or not at all. A Calico endpoint selector
 * sees a pod's labels plus labels Calico adds: `projectcalico.org/namespace` (the namespace name),
 * `pcns.<key>` (the namespace's labels), `pcsa.<key>` and `projectcalico.org/serviceaccount` (its
 * service account). The first two become a namespace selector (on `kubernetes.io/metadata.name`,
 * which the API server sets on every namespace since 1.22); service-account terms have no
 * equivalent in a mapping and are refused. Kubernetes selectors are conjunctions of requirements,
 * so a Calico selector translates when it is a conjunction of (possibly negated) comparisons;
 * `!` over `||` is De Morgan's `&&` and translates, `!` over `&&` would need `||` and does not.
 */

export interface Refusal {
  /** The Calico construct, e.g. `||`, `contains`, `global()`. */
  construct: string;
  /** The part of the selector it refers to, in Calico syntax. */
  fragment: string;
  reason: string;
}

export interface SelectorTranslation {
  podSelector: LabelSelector;
  namespaceSelector: LabelSelector;
  /** Exact translations a reviewer should still know about (e.g. `all()` selects every pod). */
  notes: string[];
}

export type TranslationResult =
  ({ ok: true } & SelectorTranslation) | { ok: false; refusals: Refusal[]; notes: string[] };

/** Which labels a selector reads: a policy's endpoint selector, or its namespaceSelector. */
export type SelectorContext = 'endpoint' | 'namespace';

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';
const MAX_EXPRESSIONS = 32;
const MAX_VALUES = 64;

type Leaf = Exclude<CalicoSelector, { kind: 'and' | 'or' | 'not' }>;
interface Literal {
  leaf: Leaf;
  negated: boolean;
}
type Target = 'pod' | 'namespace';
interface Requirement extends LabelSelectorRequirement {
  target: Target;
}

interface Collector {
  refusals: Refusal[];
  notes: string[];
}

/** The conjuncts of a selector with negations pushed to the leaves, or refusals. */
function literals(node: CalicoSelector, negated: boolean, out: Collector): Literal[] {
  if (node.kind === 'not') return literals(node.operand, !negated, out);
  if (!('operands' in node)) return [{ leaf: node, negated }];
  const conjunction = (node.kind === 'and' && !negated) || (node.kind === 'or' && negated);
  if (conjunction) return node.operands.flatMap((operand) => literals(operand, negated, out));
  out.refusals.push(negated ? negatedConjunction(node) : disjunction(node));
  return [];
}

function negatedConjunction(node: CalicoSelector): Refusal {
  return {
    construct: '! of a compound',
    fragment: formatCalicoSelector({ kind: 'not', operand: node }),
    reason:
      'the negation of an && is an OR of negations; a Kubernetes label selector can only AND its requirements',
  };
}

function disjunction(node: CalicoSelector): Refusal {
  return {
    construct: '||',
    fragment: formatCalicoSelector(node),
    reason:
      "a Kubernetes label selector can only AND its requirements; alternatives on one label can be written as `label in {'a', 'b'}`, others need a label the selected pods share",
  };
}

const QUALIFIED_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && QUALIFIED_NAME.test(name);
}

export function isLabelValue(value: string): boolean {
  return value.length <= 63 && LABEL_VALUE.test(value);
}

/** Where a Calico label key lives on the Kubernetes side, or why it has no equivalent. */
function locate(key: string, context: SelectorContext): { target: Target; key: string } | string {
  if (context === 'namespace') {
    if (key === 'projectcalico.org/name') return { target: 'namespace', key: NAMESPACE_NAME_LABEL };
    if (key.startsWith('projectcalico.org/'))
      return `${key} is a label Calico adds; it has no Kubernetes namespace label`;
    return { target: 'namespace', key };
  }
  if (key === CALICO_NAMESPACE_LABEL || key === 'pcns.projectcalico.org/name') {
    return { target: 'namespace', key: NAMESPACE_NAME_LABEL };
  }
  if (key === 'projectcalico.org/serviceaccount' || key.startsWith('pcsa.')) {
    return 'service-account selection: a FortiGateEndpointMapping selects pods by pod and namespace labels only';
  }
  if (key.startsWith('pcns.')) return locate(key.slice('pcns.'.length), 'namespace');
  if (key.startsWith('projectcalico.org/')) return `${key} is a label Calico adds; pods do not carry it`;
  return { target: 'pod', key };
}

const UNSUPPORTED_MATCH: Partial<Record<Leaf['kind'], string>> = {
  contains: 'contains',
  startsWith: 'starts with',
  endsWith: 'ends with',
};

/** One literal as a requirement; undefined when it always holds (`all()`, `not in {}`). */
function requirement(literal: Literal, context: SelectorContext, out: Collector): Requirement | undefined {
  const { leaf, negated } = literal;
  const fragment = formatCalicoSelector(negated ? { kind: 'not', operand: leaf } : leaf);
  const refuse = (construct: string, reason: string) => {
    out.refusals.push({ construct, fragment, reason });
    return undefined;
  };
  switch (leaf.kind) {
    case 'all':
      // Exact for this migration: Tigera's controller fed only pods to its cache (a policy's nodes
      // are the nodes of its selected pods; host endpoints never added one), and so does a mapping.
      if (negated) return refuse('!all()', 'it matches nothing; a group fed by it would always be empty');
      out.notes.push(
        context === 'endpoint'
          ? "all(): every pod in the selected namespaces (Tigera's controller also counted pods only, never host endpoints)"
          : 'all(): every namespace',
      );
      return undefined;
    case 'global':
      return refuse(
        negated ? '!global()' : 'global()',
        'global() selects non-namespaced endpoints (host endpoints, network sets), never pods',
      );
    case 'contains':
    case 'startsWith':
    case 'endsWith':
      return refuse(
        UNSUPPORTED_MATCH[leaf.kind] as string,
        'a Kubernetes label selector compares whole values only (In, NotIn, Exists, DoesNotExist)',
      );
    default:
      break;
  }
  const where = locate(leaf.key, context);
  if (typeof where === 'string') return refuse(leaf.key, where);
  if (!isLabelKey(where.key)) {
    return refuse(
      'label key',
      `${where.key} is not a valid Kubernetes label key, so no pod or namespace can carry it`,
    );
  }
  if (leaf.kind === 'has') {
    return { target: where.target, key: where.key, operator: negated ? 'DoesNotExist' : 'Exists' };
  }
  const values = 'values' in leaf ? leaf.values : [leaf.value];
  const positive = leaf.kind === 'eq' || leaf.kind === 'in';
  const operator = positive !== negated ? 'In' : 'NotIn';
  const invalid = values.find((v) => !isLabelValue(v));
  if (invalid !== undefined) {
    return refuse(
      'label value',
      `${JSON.stringify(invalid)} is not a valid Kubernetes label value (at most 63 of A-Z a-z 0-9 - _ . , alphanumeric at both ends), so no label can hold it`,
    );
  }
  if (values.length > MAX_VALUES) return refuse('set size', `more than ${MAX_VALUES} values in one set`);
  if (values.length === 0) {
    return operator === 'In'
      ? refuse('empty set', 'it matches nothing; a group fed by it would always be empty')
      : undefined;
  }
  return { target: where.target, key: where.key, operator, values: [...values].sort() };
}

/** Single-value `In` requirements on a key nothing else constrains read best as matchLabels. */
export function toLabelSelector(requirements: LabelSelectorRequirement[]): LabelSelector {
  const count = new Map<string, number>();
  for (const r of requirements) count.set(r.key, (count.get(r.key) ?? 0) + 1);
  const matchLabels: Record<string, string> = {};
  const matchExpressions: LabelSelectorRequirement[] = [];
  for (const r of requirements) {
    if (r.operator === 'In' && r.values?.length === 1 && count.get(r.key) === 1) {
      matchLabels[r.key] = r.values[0] as string;
    } else {
      matchExpressions.push(
        r.values
          ? { key: r.key, operator: r.operator, values: r.values }
          : { key: r.key, operator: r.operator },
      );
    }
  }
  return {
    ...(Object.keys(matchLabels).length > 0 ? { matchLabels } : {}),
    ...(matchExpressions.length > 0 ? { matchExpressions } : {}),
  };
}

export type RequirementsResult =
  | { ok: true; pod: LabelSelectorRequirement[]; namespace: LabelSelectorRequirement[]; notes: string[] }
  | { ok: false; refusals: Refusal[]; notes: string[] };

/** The pod and namespace requirements of one selector (a policy ANDs several selectors' lists). */
export function translateRequirements(node: CalicoSelector, context: SelectorContext): RequirementsResult {
  const out: Collector = { refusals: [], notes: [] };
  const requirements = literals(node, false, out)
    .map((literal) => requirement(literal, context, out))
    .filter((r): r is Requirement => r !== undefined);
  if (out.refusals.length > 0) return { ok: false, refusals: out.refusals, notes: out.notes };
  const of = (target: Target) =>
    requirements.filter((r) => r.target === target).map(({ target: _t, ...r }) => r);
  return { ok: true, pod: of('pod'), namespace: of('namespace'), notes: out.notes };
}

/** Refusals for requirement lists longer than the CRD allows. */
export function sizeRefusals(
  fragment: string,
  lists: { pod: LabelSelectorRequirement[]; namespace: LabelSelectorRequirement[] },
): Refusal[] {
  return (['pod', 'namespace'] as const)
    .filter((what) => lists[what].length > MAX_EXPRESSIONS)
    .map((what) => ({
      construct: 'size',
      fragment,
      reason: `more than ${MAX_EXPRESSIONS} ${what} requirements (the CRD's limit)`,
    }));
}

/**
 * Translates one parsed Calico selector. `endpoint` context: a policy's `selector` (pod and
 * namespace terms); `namespace` context: a policy's `namespaceSelector` (namespace labels only).
 */
export function translateSelector(node: CalicoSelector, context: SelectorContext): TranslationResult {
  const result = translateRequirements(node, context);
  if (!result.ok) return result;
  const refusals = sizeRefusals(formatCalicoSelector(node), result);
  if (refusals.length > 0) return { ok: false, refusals, notes: result.notes };
  return {
    ok: true,
    podSelector: toLabelSelector(result.pod),
    namespaceSelector: toLabelSelector(result.namespace),
    notes: result.notes,
  };
}
