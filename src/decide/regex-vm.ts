// A Pike VM (Thompson NFA simulation): every input position is visited once with at most one thread
// per instruction, so a match costs O(input length × program size) whatever the pattern. Only the
// yes/no answer of RegExp.prototype.test is needed, so there are no captures and laziness is moot.
import { type CharRanges, isWordUnit, parseRegex, type RegexNode } from './regex-syntax.js';

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
  private readonly stack: number[] = [];

  private constructor(program: Instr[]) {
    this.program = program;
    this.marks = new Int32Array(program.length);
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
    let current: number[] = [];
    let next: number[] = [];
    // One generation per input position: a pc is added at most once to the list for a position,
    // whether it is reached by stepping from the previous position or by seeding.
    this.generation++;
    for (let i = 0; ; i++) {
      // Seed a thread at every position: an unanchored search, like RegExp.prototype.test.
      if (this.addThread(current, 0, input, i)) return true;
      if (i === input.length) return false;
      const code = input.charCodeAt(i);
      this.generation++;
      for (const pc of current) {
        const ins = this.program[pc]!;
        if (ins.op === SET && inRanges(ins.ranges!, code) && this.addThread(next, pc + 1, input, i + 1))
          return true;
      }
      [current, next] = [next, current];
      next.length = 0;
    }
  }

  /** Follows jumps and assertions from `start` at position `pos`; true when MATCH is reached. */
  private addThread(list: number[], start: number, input: string, pos: number): boolean {
    const stack = this.stack;
    stack.length = 0;
    stack.push(start);
    while (stack.length > 0) {
      const pc = stack.pop()!;
      if (this.marks[pc] === this.generation) continue;
      this.marks[pc] = this.generation;
      const ins = this.program[pc]!;
      switch (ins.op) {
        case MATCH:
          return true;
        case SET:
          list.push(pc);
          break;
        case JMP:
          stack.push(ins.x!);
          break;
        case SPLIT:
          stack.push(ins.y!, ins.x!);
          break;
        case BOL:
          if (pos === 0) stack.push(pc + 1);
          break;
        case EOL:
          if (pos === input.length) stack.push(pc + 1);
          break;
        default: {
          const before = pos > 0 && isWordUnit(input.charCodeAt(pos - 1));
          const after = pos < input.length && isWordUnit(input.charCodeAt(pos));
          if ((before !== after) === (ins.op === WORD)) stack.push(pc + 1);
        }
      }
    }
    return false;
  }
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
