import type { LabelSelector } from '../api/v1alpha1/common.js';
import { FORTIOS_BUILTIN_ADDRESSES, FORTIOS_NAME_MAX } from '../api/v1alpha1/common.js';
import type { CalicoPolicy } from './calico-policies.js';
import { parseCalicoSelector, SelectorSyntaxError, type CalicoSelector } from './calico-selector.js';
import { sizeRefusals, toLabelSelector, translateRequirements, type Refusal } from './translate-selector.js';

export interface PolicyTranslation {
  podSelector: LabelSelector;
  namespaceSelector: LabelSelector;
  notes: string[];
}

export type PolicyTranslationResult =
  ({ ok: true } & PolicyTranslation) | { ok: false; refusals: Refusal[]; notes: string[] };

/**
 * Why a Tigera group name cannot be a mapping's `addressGroup` (the CRD's rules for it), or
 * undefined. Tigera named each group after its policy; fortisync must keep that name, because
 * firewall policies reference it, so a name that does not fit is reported, never altered.
 */
export function groupNameProblem(name: string): string | undefined {
  if (name.length > FORTIOS_NAME_MAX)
    return `longer than ${FORTIOS_NAME_MAX} characters (FortiOS's limit for a group name)`;
  if (/["'<>]/.test(name)) return `contains ", ', < or >, which FortiOS refuses in names`;
  if ((FORTIOS_BUILTIN_ADDRESSES as readonly string[]).includes(name))
    return `${name} is a built-in FortiOS address`;
  if (name !== name.trim() || name === '') return 'empty, or starts or ends with whitespace';
  return undefined;
}

function parse(field: string, text: string, refusals: Refusal[]): CalicoSelector | undefined {
  try {
    return parseCalicoSelector(text);
  } catch (err) {
    if (!(err instanceof SelectorSyntaxError)) throw err;
    refusals.push({ construct: 'syntax', fragment: text, reason: `${field} does not parse: ${err.message}` });
    return undefined;
  }
}

/**
 * A GlobalNetworkPolicy's endpoint choice as a mapping's selectors: `selector` (pod labels and
 * namespace terms) AND `namespaceSelector` (namespace labels); a `serviceAccountSelector` has no
 * equivalent. Every refusal is collected, so the report names every construct at once.
 */
export function translatePolicy(policy: CalicoPolicy): PolicyTranslationResult {
  const refusals: Refusal[] = [];
  const notes: string[] = [];
  const nameProblem = groupNameProblem(policy.name);
  if (nameProblem) {
    refusals.push({
      construct: 'group name',
      fragment: policy.name,
      reason: `the address group name is ${nameProblem}`,
    });
  }
  if (policy.serviceAccountSelector) {
    refusals.push({
      construct: 'serviceAccountSelector',
      fragment: policy.serviceAccountSelector,
      reason: 'a FortiGateEndpointMapping selects pods by pod and namespace labels only',
    });
  }
  const selector = parse('spec.selector', policy.selector, refusals);
  const namespaceSelector =
    policy.namespaceSelector === undefined
      ? undefined
      : parse('spec.namespaceSelector', policy.namespaceSelector, refusals);
  const endpoint = selector ? translateRequirements(selector, 'endpoint') : undefined;
  const namespaces = namespaceSelector ? translateRequirements(namespaceSelector, 'namespace') : undefined;
  const pod = [];
  const namespace = [];
  for (const result of [endpoint, namespaces]) {
    if (!result) continue;
    notes.push(...result.notes);
    if (!result.ok) refusals.push(...result.refusals);
    else {
      pod.push(...result.pod);
      namespace.push(...result.namespace);
    }
  }
  refusals.push(...sizeRefusals(policy.selector, { pod, namespace }));
  if (refusals.length > 0) return { ok: false, refusals, notes };
  return {
    ok: true,
    podSelector: toLabelSelector(pod),
    namespaceSelector: toLabelSelector(namespace),
    notes,
  };
}
