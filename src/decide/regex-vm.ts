// A Pike VM (Thompson NFA simulation): every input position is visited once with at most one thread
// per instruction, so a match costs O(input length × program size) whatever the pattern. Only the
// yes/no answer of RegExp.prototype.test is needed, so there are no captures and laziness is moot.
import { type CharRanges, isWordUnit, normalizeRanges, parseRegex, type RegexNode } from './regex-syntax.js';

const SET = 0;
const SPLIT = 1;
const JMP = 2;
const BOL = 3;
const EOL = 4;
const WORD = 5;
const NOT_WORD = 6;
const MATCH = 7;

interface Instr {
  op: number;
  ranges?: CharRanges;
  x?: number; // SPLIT / JMP target
  y?: number; // SPLIT second target
}

export const MAX_PROGRAM_SIZE = 5000;

export class LinearRegex {
  private readonly program: Instr[];
  private readonly marks: Int32Array;
  private generation = 0;
  // Preallocated thread lists and stack: a pc enters a list at most once per position, and each
  // pc processed pushes at most two successors, so these sizes are hard bounds.
  private current: Int32Array;
  private next: Int32Array;
  private readonly stack: Int32Array;
  /** Every match starts at position 0 (each alternative begins with `^`). */
  private readonly anchored: boolean;
  /** Code units a match can start with; undefined when a match may be empty. */
  private readonly first: CharRanges | undefined;

  private constructor(program: Instr[]) {
    this.program = program;
    this.marks = new Int32Array(program.length);
    this.current = new Int32Array(program.length);
    this.next = new Int32Array(program.length);
    this.stack = new Int32Array(program.length * 2 + 2);
    const start = startInfo(program);
    this.anchored = start.anchored;
    this.first = start.first;
  }

  /** Throws RegexSyntaxError (from the parser) or Error when the program would be too large. */
  static compile(source: string): LinearRegex {
    const program: Instr[] = [];
    emit(parseRegex(source), program);
    program.push({ op: MATCH });
    return new LinearRegex(program);
  }

  get size(): number {
    return this.program.length;
  }

  /** Same answer as `new RegExp(source).test(input)` (no flags). */
  test(input: string): boolean {
    if (this.generation > 1e9) {
      this.marks.fill(0);
      this.generation = 0;
    }
    const n = input.length;
    const first = this.first;
    let count = 0;
    // One generation per input position: a pc is added at most once to the list for a position,
    // whether it is reached by stepping from the previous position or by seeding.
    this.generation++;
    for (let i = 0; ; i++) {
      // Seed a thread at every position (an unanchored search, like RegExp.prototype.test),
      // unless no match can start here.
      const seed =
        i === 0 ||
        (!this.anchored && (first === undefined || (i < n && inRanges(first, input.charCodeAt(i)))));
      if (seed) {
        const added = this.addThread(this.current, count, 0, input, i);
        if (added < 0) return true;
        count = added;
      }
      if (i === n || (count === 0 && this.anchored)) return false;
      const code = input.charCodeAt(i);
      this.generation++;
      let nextCount = 0;
      for (let t = 0; t < count; t++) {
        const pc = this.current[t]!;
        const ins = this.program[pc]!;
        if (ins.op === SET && inRanges(ins.ranges!, code)) {
          nextCount = this.addThread(this.next, nextCount, pc + 1, input, i + 1);
          if (nextCount < 0) return true;
        }
      }
      const swap = this.current;
      this.current = this.next;
      this.next = swap;
      count = nextCount;
    }
  }

  /**
   * Follows jumps and assertions from `start` at position `pos`, appending SET pcs to `list` from
   * index `count`. Returns the new count, or -1 when MATCH is reached.
   */
  private addThread(list: Int32Array, count: number, start: number, input: string, pos: number): number {
    const stack = this.stack;
    const marks = this.marks;
    const generation = this.generation;
    let sp = 0;
    stack[sp++] = start;
    while (sp > 0) {
      const pc = stack[--sp]!;
      if (marks[pc] === generation) continue;
      marks[pc] = generation;
      const ins = this.program[pc]!;
      switch (ins.op) {
        case MATCH:
          return -1;
        case SET:
          list[count++] = pc;
          break;
        case JMP:
          stack[sp++] = ins.x!;
          break;
        case SPLIT:
          stack[sp++] = ins.y!;
          stack[sp++] = ins.x!;
          break;
        case BOL:
          if (pos === 0) stack[sp++] = pc + 1;
          break;
        case EOL:
          if (pos === input.length) stack[sp++] = pc + 1;
          break;
        default: {
          const before = pos > 0 && isWordUnit(input.charCodeAt(pos - 1));
          const after = pos < input.length && isWordUnit(input.charCodeAt(pos));
          if ((before !== after) === (ins.op === WORD)) stack[sp++] = pc + 1;
        }
      }
    }
    return count;
  }
}

/**
 * What the threads seeded at pc 0 can look like, found by following jumps with every assertion
 * taken as passable (an over-approximation, so skipping a position it rules out is always safe).
 */
function startInfo(program: readonly Instr[]): { anchored: boolean; first: CharRanges | undefined } {
  const seen = new Set<number>();
  const stack = [0];
  const ranges: number[] = [];
  let anchored = true;
  let empty = false;
  const walk = (pc: number, afterBol: boolean): void => {
    const key = pc * 2 + (afterBol ? 1 : 0);
    if (seen.has(key)) return;
    seen.add(key);
    const ins = program[pc]!;
    if (ins.op === MATCH) {
      empty = true;
      if (!afterBol) anchored = false;
    } else if (ins.op === SET) {
      ranges.push(...ins.ranges!);
      if (!afterBol) anchored = false;
    } else if (ins.op === JMP) stack.push(ins.x! * 2 + (afterBol ? 1 : 0));
    else if (ins.op === SPLIT) stack.push(ins.x! * 2 + (afterBol ? 1 : 0), ins.y! * 2 + (afterBol ? 1 : 0));
    else stack.push((pc + 1) * 2 + (afterBol || ins.op === BOL ? 1 : 0));
  };
  stack.length = 0;
  walk(0, false);
  while (stack.length > 0) {
    const v = stack.pop()!;
    walk(v >> 1, (v & 1) === 1);
  }
  return { anchored, first: empty ? undefined : normalizeRanges(ranges) };
}

function inRanges(ranges: CharRanges, code: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (code < ranges[i]!) return false;
    if (code <= ranges[i + 1]!) return true;
  }
  return false;
}

function emit(node: RegexNode, out: Instr[]): void {
  if (out.length > MAX_PROGRAM_SIZE) throw new Error('pattern too complex');
  switch (node.t) {
    case 'set':
      out.push({ op: SET, ranges: node.ranges });
      return;
    case 'bol':
      out.push({ op: BOL });
      return;
    case 'eol':
      out.push({ op: EOL });
      return;
    case 'word':
      out.push({ op: node.negate ? NOT_WORD : WORD });
      return;
    case 'cat':
      for (const item of node.items) emit(item, out);
      return;
    case 'alt': {
      const jumps: Instr[] = [];
      node.alts.forEach((alt, i) => {
        const last = i === node.alts.length - 1;
        const split: Instr = { op: SPLIT, x: out.length + 1 };
        if (!last) out.push(split);
        emit(alt, out);
        if (!last) {
          const jmp: Instr = { op: JMP };
          out.push(jmp);
          jumps.push(jmp);
          split.y = out.length;
        }
      });
      for (const jmp of jumps) jmp.x = out.length;
      return;
    }
    case 'rep':
      emitRepeat(node.node, node.min, node.max, out);
  }
}

function emitRepeat(body: RegexNode, min: number, max: number, out: Instr[]): void {
  for (let i = 0; i < min; i++) emit(body, out);
  if (max === Infinity) {
    const split: Instr = { op: SPLIT, x: out.length + 1 };
    const loop = out.length;
    out.push(split);
    emit(body, out);
    out.push({ op: JMP, x: loop });
    split.y = out.length;
    return;
  }
  const splits: Instr[] = [];
  for (let i = min; i < max; i++) {
    const split: Instr = { op: SPLIT, x: out.length + 1 };
    out.push(split);
    splits.push(split);
    emit(body, out);
  }
  for (const split of splits) split.y = out.length;
}
