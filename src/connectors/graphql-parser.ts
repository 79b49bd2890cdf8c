// A small, bounded GraphQL reader: enough of the grammar to find each operation's type and its
// top-level fields with their arguments (which is what says what a request does), without a
// dependency. Nested selection sets are skipped token by token. Input is agent-controlled, so
// nesting depth and token count are capped and every failure is a returned error, never a throw.

export interface GqlVariable {
  readonly $var: string;
}

export interface GqlField {
  name: string;
  args: Record<string, unknown>;
}

type Selection =
  | { kind: 'field'; field: GqlField }
  | { kind: 'spread'; name: string }
  | { kind: 'inline'; selections: Selection[] };

export interface GqlOperation {
  type: 'query' | 'mutation' | 'subscription';
  name: string | undefined;
  /** Top-level fields, fragment spreads and inline fragments resolved. */
  fields: GqlField[];
}

export type GqlResult = { ok: true; operations: GqlOperation[] } | { ok: false; error: string };

const MAX_DEPTH = 32;
const MAX_TOKENS = 200_000;
const MAX_FIELDS = 256;

class GqlError extends Error {}

type Tok = { k: 'p' | 'name' | 'num' | 'str' | 'eof'; v: string };

const PUNCT = new Set(['!', '$', '&', '(', ')', ':', '=', '@', '[', ']', '{', '|', '}']);
/** [_A-Za-z], and digits too when not first (char codes: this runs once per name character). */
function isNameChar(c: number, first: boolean): boolean {
  return c === 95 || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (!first && c >= 48 && c <= 57);
}
const NUMBER = /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;

const ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

class Lexer {
  private i = 0;
  private count = 0;
  constructor(private readonly src: string) {}

  next(): Tok {
    if (++this.count > MAX_TOKENS) throw new GqlError('too_many_tokens');
    const s = this.src;
    for (;;) {
      const c = s[this.i];
      if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === ',' || c === '\ufeff') this.i++;
      else if (c === '#') {
        while (this.i < s.length && s[this.i] !== '\n' && s[this.i] !== '\r') this.i++;
      } else break;
    }
    if (this.i >= s.length) return { k: 'eof', v: '' };
    const c = s[this.i]!;
    if (PUNCT.has(c)) {
      this.i++;
      return { k: 'p', v: c };
    }
    if (c === '.') {
      if (s.startsWith('...', this.i)) {
        this.i += 3;
        return { k: 'p', v: '...' };
      }
      throw new GqlError('unexpected_character');
    }
    if (isNameChar(s.charCodeAt(this.i), true)) {
      const start = this.i++;
      while (this.i < s.length && isNameChar(s.charCodeAt(this.i), false)) this.i++;
      return { k: 'name', v: s.slice(start, this.i) };
    }
    if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = this.i;
      const m = NUMBER.exec(s);
      if (!m || m[0] === '-') throw new GqlError('bad_number');
      this.i += m[0].length;
      return { k: 'num', v: m[0] };
    }
    if (c === '"') return { k: 'str', v: this.string() };
    throw new GqlError('unexpected_character');
  }

  private string(): string {
    const s = this.src;
    if (s.startsWith('"""', this.i)) {
      const end = s.indexOf('"""', this.i + 3);
      if (end === -1) throw new GqlError('unterminated_string');
      const text = s.slice(this.i + 3, end);
      this.i = end + 3;
      return text;
    }
    let out = '';
    this.i++;
    while (this.i < s.length) {
      const c = s[this.i++]!;
      if (c === '"') return out;
      if (c === '\n' || c === '\r') break;
      if (c !== '\\') {
        out += c;
        continue;
      }
      const e = s[this.i++];
      if (e === 'u') {
        const hex = s.slice(this.i, this.i + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new GqlError('bad_escape');
        out += String.fromCharCode(Number.parseInt(hex, 16));
        this.i += 4;
      } else {
        const r = e === undefined ? undefined : ESCAPES[e];
        if (r === undefined) throw new GqlError('bad_escape');
        out += r;
      }
    }
    throw new GqlError('unterminated_string');
  }
}

class Parser {
  private tok: Tok;
  private readonly lex: Lexer;
  constructor(src: string) {
    this.lex = new Lexer(src);
    this.tok = this.lex.next();
  }

  private advance(): Tok {
    const t = this.tok;
    this.tok = this.lex.next();
    return t;
  }
  private isP(v: string): boolean {
    return this.tok.k === 'p' && this.tok.v === v;
  }
  private expectP(v: string): void {
    if (!this.isP(v)) throw new GqlError(`expected_${v}`);
    this.advance();
  }
  private name(): string {
    if (this.tok.k !== 'name') throw new GqlError('expected_name');
    return this.advance().v;
  }

  document(): {
    ops: Array<Omit<GqlOperation, 'fields'> & { sel: Selection[] }>;
    frags: Map<string, Selection[]>;
  } {
    const ops: Array<Omit<GqlOperation, 'fields'> & { sel: Selection[] }> = [];
    const frags = new Map<string, Selection[]>();
    while (this.tok.k !== 'eof') {
      if (this.isP('{')) {
        ops.push({ type: 'query', name: undefined, sel: this.selectionSet(0) });
        continue;
      }
      const word = this.name();
      if (word === 'query' || word === 'mutation' || word === 'subscription') {
        const name = this.tok.k === 'name' ? this.advance().v : undefined;
        if (this.isP('(')) this.skipBalanced('(', ')');
        this.directives();
        ops.push({ type: word, name, sel: this.selectionSet(0) });
      } else if (word === 'fragment') {
        const name = this.name();
        if (this.name() !== 'on') throw new GqlError('expected_on');
        this.name();
        this.directives();
        frags.set(name, this.selectionSet(0));
      } else {
        throw new GqlError('unsupported_definition');
      }
    }
    if (ops.length === 0) throw new GqlError('no_operation');
    return { ops, frags };
  }

  private directives(): void {
    while (this.isP('@')) {
      this.advance();
      this.name();
      if (this.isP('(')) this.skipBalanced('(', ')');
    }
  }

  /** Skip a bracketed group, tokens and all (nested selections and variable definitions). */
  private skipBalanced(open: string, close: string): void {
    let depth = 0;
    do {
      if (this.tok.k === 'eof') throw new GqlError('unbalanced');
      if (this.isP(open)) depth++;
      else if (this.isP(close)) depth--;
      this.advance();
    } while (depth > 0);
  }

  private selectionSet(depth: number): Selection[] {
    if (depth > MAX_DEPTH) throw new GqlError('too_deep');
    this.expectP('{');
    const out: Selection[] = [];
    while (!this.isP('}')) {
      if (this.tok.k === 'eof') throw new GqlError('unbalanced');
      if (this.isP('...')) {
        this.advance();
        if (this.tok.k === 'name' && this.tok.v !== 'on') {
          out.push({ kind: 'spread', name: this.advance().v });
          this.directives();
          continue;
        }
        if (this.tok.k === 'name') {
          this.advance();
          this.name();
        }
        this.directives();
        out.push({ kind: 'inline', selections: this.selectionSet(depth + 1) });
        continue;
      }
      let name = this.name();
      if (this.isP(':')) {
        this.advance();
        name = this.name();
      }
      const args = this.isP('(') ? this.args() : {};
      this.directives();
      if (this.isP('{')) this.skipBalanced('{', '}');
      out.push({ kind: 'field', field: { name, args } });
    }
    this.advance();
    return out;
  }

  private args(): Record<string, unknown> {
    this.expectP('(');
    const out: Record<string, unknown> = {};
    while (!this.isP(')')) {
      const key = this.name();
      this.expectP(':');
      setKey(out, key, this.value(0));
    }
    this.advance();
    return out;
  }

  private value(depth: number): unknown {
    if (depth > MAX_DEPTH) throw new GqlError('too_deep');
    const t = this.tok;
    if (t.k === 'p' && t.v === '$') {
      this.advance();
      return { $var: this.name() } satisfies GqlVariable;
    }
    if (t.k === 'num') return Number(this.advance().v);
    if (t.k === 'str') return this.advance().v;
    if (t.k === 'name') {
      this.advance();
      return t.v === 'true' ? true : t.v === 'false' ? false : t.v === 'null' ? null : t.v;
    }
    if (this.isP('[')) {
      this.advance();
      const list: unknown[] = [];
      while (!this.isP(']')) list.push(this.value(depth + 1));
      this.advance();
      return list;
    }
    if (this.isP('{')) {
      this.advance();
      const obj: Record<string, unknown> = {};
      while (!this.isP('}')) {
        const key = this.name();
        this.expectP(':');
        setKey(obj, key, this.value(depth + 1));
      }
      this.advance();
      return obj;
    }
    throw new GqlError('expected_value');
  }
}

function setKey(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function flatten(
  sel: Selection[],
  frags: Map<string, Selection[]>,
  out: GqlField[],
  seen: Set<string>,
  depth: number,
) {
  if (depth > MAX_DEPTH) throw new GqlError('too_deep');
  for (const s of sel) {
    if (out.length >= MAX_FIELDS) return;
    if (s.kind === 'field') {
      if (!s.field.name.startsWith('__')) out.push(s.field);
    } else if (s.kind === 'inline') {
      flatten(s.selections, frags, out, seen, depth + 1);
    } else if (!seen.has(s.name)) {
      const f = frags.get(s.name);
      if (!f) throw new GqlError('unknown_fragment');
      seen.add(s.name);
      flatten(f, frags, out, seen, depth + 1);
    }
  }
}

/** Operations of a GraphQL document with their top-level fields; never throws. */
export function parseGraphql(source: string): GqlResult {
  try {
    const { ops, frags } = new Parser(source).document();
    const operations = ops.map((op) => {
      const fields: GqlField[] = [];
      flatten(op.sel, frags, fields, new Set(), 0);
      return { type: op.type, name: op.name, fields };
    });
    return { ok: true, operations };
  } catch (err) {
    if (err instanceof GqlError) return { ok: false, error: err.message };
    return { ok: false, error: 'parse_failed' };
  }
}

/** Replace variable references in a parsed argument value with their values (bounded depth). */
export function resolveVariables(value: unknown, variables: Record<string, unknown>, depth = 0): unknown {
  if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => resolveVariables(v, variables, depth + 1));
  const rec = value as Record<string, unknown>;
  if (typeof rec['$var'] === 'string' && Object.keys(rec).length === 1) {
    return Object.hasOwn(variables, rec['$var']) ? variables[rec['$var']] : undefined;
  }
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(rec)) setKey(out, k, resolveVariables(rec[k], variables, depth + 1));
  return out;
}
