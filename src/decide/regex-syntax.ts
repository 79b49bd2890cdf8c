// Parser for the regex subset that policies may use in `matches`. The subset is JavaScript regex
// syntax (no flags) minus everything a linear-time engine cannot do or that reads ambiguously:
// no backreferences, no lookaround, no lone `{ } ]`. Patterns come from policy authors, inputs from
// agents, so matching runs on regex-vm.ts, never on a backtracking engine.

/** Sorted, disjoint inclusive UTF-16 code-unit ranges: [lo0, hi0, lo1, hi1, ...]. */
export type CharRanges = number[];

export type RegexNode =
  | { t: 'set'; ranges: CharRanges }
  | { t: 'cat'; items: RegexNode[] }
  | { t: 'alt'; alts: RegexNode[] }
  | { t: 'rep'; node: RegexNode; min: number; max: number } // max Infinity: unbounded
  | { t: 'bol' }
  | { t: 'eol' }
  | { t: 'word'; negate: boolean };

export class RegexSyntaxError extends Error {}

const MAX_COUNT = 100;
const DIGIT: CharRanges = [0x30, 0x39];
const WORD: CharRanges = [0x30, 0x39, 0x41, 0x5a, 0x5f, 0x5f, 0x61, 0x7a];
const SPACE: CharRanges = [
  0x09, 0x0d, 0x20, 0x20, 0xa0, 0xa0, 0x1680, 0x1680, 0x2000, 0x200a, 0x2028, 0x2029, 0x202f, 0x202f, 0x205f,
  0x205f, 0x3000, 0x3000, 0xfeff, 0xfeff,
];
const LINE_TERMINATORS: CharRanges = [0x0a, 0x0a, 0x0d, 0x0d, 0x2028, 0x2029];

export function normalizeRanges(ranges: CharRanges): CharRanges {
  const pairs: [number, number][] = [];
  for (let i = 0; i < ranges.length; i += 2) pairs.push([ranges[i]!, ranges[i + 1]!]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: CharRanges = [];
  for (const [lo, hi] of pairs) {
    const n = out.length;
    if (n > 0 && lo <= out[n - 1]! + 1) out[n - 1] = Math.max(out[n - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

export function complementRanges(ranges: CharRanges): CharRanges {
  const norm = normalizeRanges(ranges);
  const out: CharRanges = [];
  let next = 0;
  for (let i = 0; i < norm.length; i += 2) {
    if (norm[i]! > next) out.push(next, norm[i]! - 1);
    next = norm[i + 1]! + 1;
  }
  if (next <= 0xffff) out.push(next, 0xffff);
  return out;
}

export function isWordUnit(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    (code >= 0x61 && code <= 0x7a)
  );
}

/** Parses `source`; throws RegexSyntaxError with a message meant for the policy author. */
export function parseRegex(source: string): RegexNode {
  const parser = new Parser(source);
  const node = parser.alternation(0);
  if (parser.pos < source.length) parser.fail(`unexpected "${source[parser.pos]}"`);
  return node;
}

class Parser {
  pos = 0;
  constructor(private readonly src: string) {}

  fail(message: string): never {
    throw new RegexSyntaxError(`${message} at offset ${this.pos}`);
  }

  alternation(depth: number): RegexNode {
    if (depth > 32) this.fail('groups nested too deeply');
    const alts = [this.sequence(depth)];
    while (this.src[this.pos] === '|') {
      this.pos++;
      alts.push(this.sequence(depth));
    }
    return alts.length === 1 ? alts[0]! : { t: 'alt', alts };
  }

  private sequence(depth: number): RegexNode {
    const items: RegexNode[] = [];
    while (this.pos < this.src.length && this.src[this.pos] !== '|' && this.src[this.pos] !== ')') {
      const atom = this.atom(depth);
      items.push(this.quantified(atom));
    }
    return items.length === 1 ? items[0]! : { t: 'cat', items };
  }

  private quantified(atom: RegexNode): RegexNode {
    const c = this.src[this.pos];
    let min: number;
    let max: number;
    if (c === '*') [min, max] = [0, Infinity];
    else if (c === '+') [min, max] = [1, Infinity];
    else if (c === '?') [min, max] = [0, 1];
    else if (c === '{') [min, max] = this.braces();
    else return atom;
    if (atom.t === 'bol' || atom.t === 'eol' || atom.t === 'word') this.fail('nothing to repeat');
    if (c !== '{') this.pos++;
    if (this.src[this.pos] === '?') this.pos++; // lazy: same set of matches
    const next = this.src[this.pos];
    if (next === '*' || next === '+' || next === '?' || next === '{') this.fail('nothing to repeat');
    return { t: 'rep', node: atom, min, max };
  }

  private braces(): [number, number] {
    const m = /^\{(\d{1,4})(,(\d{0,4}))?\}/.exec(this.src.slice(this.pos, this.pos + 12));
    if (m === null) this.fail('a literal "{" must be escaped as "\\{"');
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    if (min > max) this.fail('numbers out of order in {} quantifier');
    if (min > MAX_COUNT || (max !== Infinity && max > MAX_COUNT))
      this.fail(`repeat counts above ${MAX_COUNT}`);
    this.pos += m[0].length;
    return [min, max];
  }

  private atom(depth: number): RegexNode {
    const c = this.src[this.pos]!;
    switch (c) {
      case '(':
        return this.group(depth);
      case '[':
        return { t: 'set', ranges: this.charClass() };
      case '.':
        this.pos++;
        return { t: 'set', ranges: complementRanges(LINE_TERMINATORS) };
      case '^':
        this.pos++;
        return { t: 'bol' };
      case '$':
        this.pos++;
        return { t: 'eol' };
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        return this.fail('nothing to repeat');
      case '{':
      case '}':
      case ']':
        return this.fail(`a literal "${c}" must be escaped as "\\${c}"`);
      default: {
        this.pos++;
        const code = c.charCodeAt(0);
        return { t: 'set', ranges: [code, code] };
      }
    }
  }

  private group(depth: number): RegexNode {
    this.pos++;
    if (this.src[this.pos] === '?') {
      const rest = this.src.slice(this.pos, this.pos + 3);
      if (rest.startsWith('?:')) this.pos += 2;
      else if (/^\?<[A-Za-z_$]/.test(rest)) {
        const end = this.src.indexOf('>', this.pos);
        if (end < 0 || !/^[A-Za-z_$][\w$]*$/.test(this.src.slice(this.pos + 2, end)))
          this.fail('invalid group name');
        this.pos = end + 1;
      } else if (/^\?(=|!|<=|<!)/.test(rest)) this.fail('lookahead and lookbehind are not supported');
      else this.fail('invalid group');
    }
    const inner = this.alternation(depth + 1);
    if (this.src[this.pos] !== ')') this.fail('unterminated group');
    this.pos++;
    return inner;
  }

  /** An escape outside a class. */
  private escape(): RegexNode {
    const c = this.src[this.pos + 1];
    if (c === 'b' || c === 'B') {
      this.pos += 2;
      return { t: 'word', negate: c === 'B' };
    }
    return { t: 'set', ranges: this.escapeRanges(false) };
  }

  /** The ranges of the escape at `pos` (a backslash); advances past it. */
  private escapeRanges(inClass: boolean): CharRanges {
    const c = this.src[this.pos + 1];
    if (c === undefined) this.fail('"\\" at end of pattern');
    this.pos += 2;
    switch (c) {
      case 'd':
        return DIGIT;
      case 'D':
        return complementRanges(DIGIT);
      case 'w':
        return WORD;
      case 'W':
        return complementRanges(WORD);
      case 's':
        return SPACE;
      case 'S':
        return complementRanges(SPACE);
      case 't':
        return [9, 9];
      case 'n':
        return [10, 10];
      case 'v':
        return [11, 11];
      case 'f':
        return [12, 12];
      case 'r':
        return [13, 13];
      case 'b':
        if (inClass) return [8, 8];
        break;
      case '0':
        if (!/[0-9]/.test(this.src[this.pos] ?? '')) return [0, 0];
        break;
      case 'x':
      case 'u': {
        const len = c === 'x' ? 2 : 4;
        const hex = this.src.slice(this.pos, this.pos + len);
        if (!new RegExp(`^[0-9A-Fa-f]{${len}}$`).test(hex)) this.fail(`invalid \\${c} escape`);
        this.pos += len;
        const code = Number.parseInt(hex, 16);
        return [code, code];
      }
    }
    if (/[1-9]/.test(c) || c === 'k') this.fail('backreferences are not supported');
    if (/[A-Za-z0-9]/.test(c)) this.fail(`unsupported escape "\\${c}"`);
    const code = c.charCodeAt(0);
    return [code, code];
  }

  private charClass(): CharRanges {
    this.pos++;
    let negate = false;
    if (this.src[this.pos] === '^') {
      negate = true;
      this.pos++;
    }
    const ranges: CharRanges = [];
    while (this.src[this.pos] !== ']') {
      if (this.pos >= this.src.length) this.fail('unterminated character class');
      const lo = this.classAtom();
      if (this.src[this.pos] === '-' && this.src[this.pos + 1] !== ']' && this.pos + 1 < this.src.length) {
        this.pos++;
        const hi = this.classAtom();
        if (lo.length !== 2 || hi.length !== 2 || lo[0] !== lo[1] || hi[0] !== hi[1])
          this.fail('invalid range');
        if (lo[0]! > hi[0]!) this.fail('range out of order in character class');
        ranges.push(lo[0]!, hi[0]!);
      } else ranges.push(...lo);
    }
    this.pos++;
    const norm = normalizeRanges(ranges);
    return negate ? complementRanges(norm) : norm;
  }

  private classAtom(): CharRanges {
    if (this.src[this.pos] === '\\') {
      if (this.src[this.pos + 1] === 'B') this.fail('unsupported escape "\\B" in a class');
      return this.escapeRanges(true);
    }
    const code = this.src.charCodeAt(this.pos++);
    return [code, code];
  }
}
