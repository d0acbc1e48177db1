import type { LabelSelector, LabelSelectorRequirement } from '../api/v1alpha1/common.js';
import { matchesSelector } from '../domain/selectors.js';

/** One term of a label selector (`app=frontend`, `tier in (a,b)`) and whether the labels meet it. */
export interface SelectorTerm {
  term: string;
  matched: boolean;
}

function requirementText(r: LabelSelectorRequirement): string {
  const values = (r.values ?? []).join(',');
  switch (r.operator) {
    case 'In':
      return `${r.key} in (${values})`;
    case 'NotIn':
      return `${r.key} notin (${values})`;
    case 'Exists':
      return r.key;
    case 'DoesNotExist':
      return `!${r.key}`;
  }
}

/**
 * Each term of the selector, in kubectl's notation, with whether the labels meet it. Every term is
 * judged by the operator's own `matchesSelector` on a selector of that term alone, so the
 * explanation cannot disagree with the decision. An empty selector is one term that matches all.
 */
export function selectorTerms(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): SelectorTerm[] {
  const terms: SelectorTerm[] = [
    ...Object.entries(selector.matchLabels ?? {}).map(([k, v]) => ({
      term: `${k}=${v}`,
      matched: matchesSelector({ matchLabels: { [k]: v } }, labels),
    })),
    ...(selector.matchExpressions ?? []).map((r) => ({
      term: requirementText(r),
      matched: matchesSelector({ matchExpressions: [r] }, labels),
    })),
  ];
  return terms.length > 0 ? terms : [{ term: '(everything)', matched: true }];
}

/** `app=frontend ✓, zone=dmz ✗`: the terms as one line. */
export function formatTerms(terms: readonly SelectorTerm[]): string {
  return terms.map((t) => `${t.term} ${t.matched ? '✓' : '✗'}`).join(', ');
}
