/**
 * The copy of this text V8 keeps in its string table: one flat string per distinct text, shared by
 * every holder that asked for it. FortiOS names, comments and keys are built by concatenation (a tree
 * of pieces, about twice the bytes of the text until something flattens it) and the same text is
 * built again by every mapping, device sync and list reply that mentions the object: desired and
 * observed addresses, group member lists and the maps keyed by them then hold one string.
 *
 * A property name is internalized by V8 (that is what the holder object is for). The string table is
 * weak: a text nobody holds any more is collected, so unlike a Map there is nothing to bound. The
 * holder has no prototype (so `__proto__` is an ordinary name) and starts in dictionary mode: no
 * hidden-class transition per distinct text, about 0.8 µs a call against 3–5 µs with `{}` and for-in.
 */
export function sharedString(text: string): string {
  const holder: Record<string, 0> = { __proto__: null } as unknown as Record<string, 0>;
  holder[text] = 0;
  return Object.keys(holder)[0] ?? text;
}
