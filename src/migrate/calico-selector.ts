/**
 * Calico's selector language (the `selector` and `namespaceSelector` of a GlobalNetworkPolicy), as
 * its public grammar defines it (projectcalico/calico libcalico-go/lib/selector: tokenizer and
 * parser, read, not copied): `==`, `!=`, `in {…}`, `not in {…}`, `contains`, `starts with`,
 * `ends with`, `has(k)`, `all()`, `global()`, `!`, `&&` (binds tighter than `||`), parentheses.
 * Strings are single- or double-quoted without escapes; label keys are `[A-Za-z0-9_./-]+`;
 * whitespace is space and tab. An empty selector is `all()`.
 */

export type CalicoSelector =
  | { kind: 'all' }
  | { kind: 'global' }
  | { kind: 'has'; key: string }
  | { kind: 'eq' | 'ne' | 'contains' | 'startsWith' | 'endsWith'; key: string; value: string }
  | { kind: 'in' | 'notIn'; key: string; values: string[] }
  | { kind: 'not'; operand: CalicoSelector }
  | { kind: 'and' | 'or'; operands: CalicoSelector[] };

type Token =
  | { t: 'label' | 'string' | 'has'; v: string }
  | {
      t:
        | '('
        | ')'
        | '{'
        | '}'
        | ','
        | '=='
        | '!='
        | '!'
        | '&&'
        | '||'
        | 'in'
        | 'not in'
        | 'contains'
        | 'starts with'
        | 'ends with'
        | 'all'
        | 'global'
        | 'eof';
    };

export class SelectorSyntaxError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SelectorSyntaxError';
  }
}

const IDENTIFIER = /^[A-Za-z0-9_./-]+/;
const SIMPLE: Record<string, Token['t']> = { '(': '(', ')': ')', '{': '{', '}': '}', ',': ',' };
/** Operators that may follow a label; `starts`/`ends`/`not` take a second word after blanks. */
const AFTER_LABEL: [RegExp, Token['t']][] = [
  [/^contains/, 'contains'],
  [/^starts[ \t]*with/, 'starts with'],
  [/^ends[ \t]*with/, 'ends with'],
  [/^not[ \t]*in/, 'not in'],
  [/^in/, 'in'],
];

function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  let rest = input;
  for (;;) {
    rest = rest.replace(/^[ \t]+/, '');
    if (rest === '') return [...tokens, { t: 'eof' }];
    const [token, length] = nextToken(rest, tokens[tokens.length - 1]?.t === 'label');
    tokens.push(token);
    rest = rest.slice(length);
  }
}

function nextToken(rest: string, afterLabel: boolean): [Token, number] {
  const c = rest[0] as string;
  const simple = SIMPLE[c];
  if (simple) return [{ t: simple } as Token, 1];
  if (c === '"' || c === "'") {
    const end = rest.indexOf(c, 1);
    if (end < 0) throw new SelectorSyntaxError('unterminated string');
    return [{ t: 'string', v: rest.slice(1, end) }, end + 1];
  }
  for (const [op, t, len] of [
    ['==', '==', 2],
    ['!=', '!=', 2],
    ['&&', '&&', 2],
    ['||', '||', 2],
  ] as const) {
    if (rest.startsWith(op)) return [{ t }, len];
  }
  if (c === '!') return [{ t: '!' }, 1];
  if (c === '=' || c === '&' || c === '|') throw new SelectorSyntaxError(`expected ${c}${c}`);
  if (afterLabel) {
    for (const [re, t] of AFTER_LABEL) {
      const m = re.exec(rest);
      if (m) return [{ t } as Token, m[0].length];
    }
    throw new SelectorSyntaxError('expected an operator after a label');
  }
  const fn = /^(has|all|global)\([ \t]*([A-Za-z0-9_./-]*)[ \t]*\)/.exec(rest);
  if (fn) {
    const [whole, name, arg] = fn as unknown as [string, 'has' | 'all' | 'global', string];
    if ((name === 'has') !== (arg !== '')) throw new SelectorSyntaxError(`bad ${name}()`);
    return [name === 'has' ? { t: 'has', v: arg } : { t: name }, whole.length];
  }
  const id = IDENTIFIER.exec(rest);
  if (id) return [{ t: 'label', v: id[0] }, id[0].length];
  throw new SelectorSyntaxError(`unexpected character ${JSON.stringify(c)}`);
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  private peek(): Token {
    return this.tokens[this.pos] as Token;
  }
  private take(): Token {
    return this.tokens[this.pos++] as Token;
  }

  parseRoot(): CalicoSelector {
    if (this.peek().t === 'eof') return { kind: 'all' };
    const node = this.parseOr();
    if (this.peek().t !== 'eof') throw new SelectorSyntaxError('unexpected content at end of selector');
    return node;
  }

  private parseOr(): CalicoSelector {
    return this.parseList('||', 'or', () => this.parseAnd());
  }

  private parseAnd(): CalicoSelector {
    return this.parseList('&&', 'and', () => this.parseOperation());
  }

  private parseList(sep: '||' | '&&', kind: 'or' | 'and', item: () => CalicoSelector): CalicoSelector {
    const operands = [item()];
    while (this.peek().t === sep) {
      this.take();
      operands.push(item());
    }
    return operands.length === 1 ? (operands[0] as CalicoSelector) : { kind, operands };
  }

  private parseOperation(): CalicoSelector {
    let negated = false;
    while (this.peek().t === '!') {
      this.take();
      negated = !negated;
    }
    const node = this.parseTerm();
    return negated ? { kind: 'not', operand: node } : node;
  }

  private parseTerm(): CalicoSelector {
    const token = this.take();
    switch (token.t) {
      case 'has':
        return { kind: 'has', key: token.v };
      case 'all':
        return { kind: 'all' };
      case 'global':
        return { kind: 'global' };
      case '(': {
        const inner = this.parseOr();
        if (this.take().t !== ')') throw new SelectorSyntaxError('expected )');
        return inner;
      }
      case 'label':
        return this.parseComparison(token.v);
      default:
        throw new SelectorSyntaxError(`unexpected ${token.t}`);
    }
  }

  private parseComparison(key: string): CalicoSelector {
    const op = this.take();
    const binary = {
      '==': 'eq',
      '!=': 'ne',
      contains: 'contains',
      'starts with': 'startsWith',
      'ends with': 'endsWith',
    } as const;
    if (op.t in binary) {
      const value = this.take();
      if (value.t !== 'string') throw new SelectorSyntaxError('expected a quoted string');
      return { kind: binary[op.t as keyof typeof binary], key, value: value.v };
    }
    if (op.t === 'in' || op.t === 'not in') {
      return { kind: op.t === 'in' ? 'in' : 'notIn', key, values: this.parseSet() };
    }
    throw new SelectorSyntaxError(`expected an operator after ${key}`);
  }

  private parseSet(): string[] {
    if (this.take().t !== '{') throw new SelectorSyntaxError('expected a set literal {…}');
    const values: string[] = [];
    for (let token = this.take(); token.t !== '}'; token = this.take()) {
      if (token.t !== 'string') throw new SelectorSyntaxError('expected a quoted string or }');
      values.push(token.v);
      const next = this.peek();
      if (next.t === ',') this.take();
      else if (next.t !== '}') throw new SelectorSyntaxError('expected , or }');
    }
    return [...new Set(values)].sort();
  }
}

/** Parses a Calico selector; throws `SelectorSyntaxError` with what Calico would also refuse. */
export function parseCalicoSelector(text: string): CalicoSelector {
  return new Parser(tokenize(text)).parseRoot();
}

function quote(value: string): string {
  return value.includes("'") ? `"${value}"` : `'${value}'`;
}

/** Calico syntax for a parsed selector (for reports: the construct a person should look at). */
export function formatCalicoSelector(node: CalicoSelector): string {
  switch (node.kind) {
    case 'all':
      return 'all()';
    case 'global':
      return 'global()';
    case 'has':
      return `has(${node.key})`;
    case 'eq':
      return `${node.key} == ${quote(node.value)}`;
    case 'ne':
      return `${node.key} != ${quote(node.value)}`;
    case 'contains':
      return `${node.key} contains ${quote(node.value)}`;
    case 'startsWith':
      return `${node.key} starts with ${quote(node.value)}`;
    case 'endsWith':
      return `${node.key} ends with ${quote(node.value)}`;
    case 'in':
    case 'notIn':
      return `${node.key} ${node.kind === 'in' ? 'in' : 'not in'} {${node.values.map(quote).join(', ')}}`;
    case 'not':
      return `!${wrap(node.operand)}`;
    case 'and':
    case 'or':
      return node.operands.map(wrap).join(node.kind === 'and' ? ' && ' : ' || ');
  }
}

function wrap(node: CalicoSelector): string {
  const text = formatCalicoSelector(node);
  return node.kind === 'and' || node.kind === 'or' ? `(${text})` : text;
}
