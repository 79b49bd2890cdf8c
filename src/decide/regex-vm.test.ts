import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LinearRegex } from './regex-vm.js';
import { compilePolicyRegex } from './safe-regex.js';

const AGREEING = [
  '^(main|master)$',
  '\\d+x',
  'a.*X',
  '\\bfoo\\b',
  '\\Bo',
  '[^]',
  '[]',
  'a{2,3}b',
  'a{2,}b?$',
  '^$',
  '(?:ab|a)*c',
  '(?<name>x|y)z',
  '[a-c-]+\\.',
  '[^a-c\\d]',
  '\\s+\\S',
  '\\w\\W',
  'a??b*?',
  '\\x41\\u0042\\t',
  'release/\\d+\\.\\d+',
  '^.*$',
  '(|a)+b',
  '.',
  '\\.|\\$|\\^',
];

describe('LinearRegex', () => {
  it.each(AGREEING)('agrees with RegExp on %s', (source) => {
    const linear = LinearRegex.compile(source);
    const native = new RegExp(source);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', 'c', 'x', 'X', '1', ' ', '.', '\n', 'o', 'f', 'm') }),
        (s) => {
          expect(linear.test(s)).toBe(native.test(s));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with RegExp on generated patterns', () => {
    const atom = fc.constantFrom('a', 'b', '.', '\\d', '[ab]', '[^a]', '\\w', '^', '$', '\\b');
    const piece = fc
      .tuple(atom, fc.constantFrom('', '*', '+', '?', '{1,2}', '{2}'))
      .map(([a, q]) => (['^', '$', '\\b'].includes(a) ? a : a + q));
    const seq = fc.array(piece, { minLength: 1, maxLength: 5 }).map((p) => p.join(''));
    const pattern = fc.array(seq, { minLength: 1, maxLength: 3 }).map((alts) => `(?:${alts.join('|')})x?`);
    const input = fc.string({ unit: fc.constantFrom('a', 'b', '1', ' ', 'x'), maxLength: 12 });
    fc.assert(
      fc.property(pattern, input, (source, s) => {
        expect(LinearRegex.compile(source).test(s)).toBe(new RegExp(source).test(s));
      }),
      { numRuns: 1000 },
    );
  });

  it('stays linear where a backtracking engine is quadratic or worse', () => {
    const start = performance.now();
    expect(LinearRegex.compile('\\d+\\d+x').test('1'.repeat(200_000))).toBe(false);
    expect(LinearRegex.compile('a.*b.*c').test('a'.repeat(200_000))).toBe(false);
    expect(performance.now() - start).toBeLessThan(2000);
  });
});

describe('compilePolicyRegex', () => {
  it.each([
    ['(a+)+$', 'backtrack catastrophically'],
    ['(\\w+\\s?)*$', 'backtrack catastrophically'],
    ['(x+x+)+y', 'backtrack catastrophically'],
    ['(a|b\\1)', 'backreferences'],
    ['(?=a)b', 'lookahead'],
    ['(?<!a)b', 'lookahead and lookbehind'],
    ['a{', 'escaped'],
    ['x]', 'escaped'],
    ['a{2,1}', 'not a valid regular expression'],
    ['a{1,500}', 'repeat counts'],
    ['[z-a]', 'not a valid regular expression'],
    ['(', 'not a valid regular expression'],
    ['\\p{L}', 'unsupported escape'],
    ['a'.repeat(257), 'longer than 256'],
    ['', 'empty'],
  ])('rejects %s', (source, message) => {
    const result = compilePolicyRegex(source);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(message);
  });

  it('accepts ordinary patterns', () => {
    for (const source of ['^(main|master)$', '^release/[0-9]+$', '\\.prod\\.', '^[a-z0-9-]{1,40}$']) {
      expect(compilePolicyRegex(source).ok).toBe(true);
    }
  });
});
