/**
 * Splits a JSON-RPC `url` into segments. FMG writes a `/` inside a name as `\/`; leading and
 * trailing slashes are optional (Ansible sends both `/dvmdb/adom/x/workspace/lock` and `…/lock/`).
 */
export function splitUrl(url: string): string[] {
  const segments: string[] = [];
  let current = '';
  for (let i = 0; i < url.length; i++) {
    const ch = url[i];
    if (ch === '\\' && url[i + 1] === '/') {
      current += '/';
      i++;
    } else if (ch === '/') {
      if (current !== '') segments.push(current);
      current = '';
    } else {
      current += ch;
    }
  }
  if (current !== '') segments.push(current);
  return segments;
}

/** The inverse of splitUrl for one name. */
export function escapeName(name: string): string {
  return name.replaceAll('/', '\\/');
}
