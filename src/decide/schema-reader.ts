// Small helpers shared by the policy and test-case validators: errors that point at an exact
// location (`rules[0].when.all[1].operator`), and YAML parsing whose errors carry line numbers.
import { type Document, LineCounter, parseAllDocuments } from 'yaml';

export type PathSegment = string | number;

export interface SchemaError {
  path: string;
  message: string;
  /** 1-based line in the YAML source, when the document came from text. */
  line?: number | undefined;
}

export interface Issue {
  segments: PathSegment[];
  message: string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; issues: Issue[] };

export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (PLAIN_KEY.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function describeType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`.slice(0, 80);
}

/** Collects issues while a validator walks a document. */
export class IssueSink {
  readonly issues: Issue[] = [];

  add(segments: readonly PathSegment[], message: string): void {
    this.issues.push({ segments: [...segments], message });
  }

  /** Reports keys of `obj` outside `allowed`; true when there were none. */
  onlyKeys(obj: Record<string, unknown>, allowed: readonly string[], at: readonly PathSegment[]): boolean {
    let ok = true;
    for (const key of Object.keys(obj)) {
      if (!allowed.includes(key)) {
        this.add([...at, key], `unknown key "${key}" (allowed: ${allowed.join(', ')})`);
        ok = false;
      }
    }
    return ok;
  }

  get count(): number {
    return this.issues.length;
  }
}

export function toSchemaErrors(issues: readonly Issue[], prefix: readonly PathSegment[] = []): SchemaError[] {
  return issues.map((i) => ({ path: formatPath([...prefix, ...i.segments]), message: i.message }));
}

export interface YamlSource {
  docs: { value: unknown; doc: Document }[];
  lines: LineCounter;
}

/** Parses a YAML stream (one or more `---` documents); syntax errors come back with line numbers. */
export function readYaml(
  text: string,
): { ok: true; source: YamlSource } | { ok: false; errors: SchemaError[] } {
  if (typeof text !== 'string') return { ok: false, errors: [{ path: '', message: 'expected YAML text' }] };
  const lines = new LineCounter();
  const errors: SchemaError[] = [];
  const docs: { value: unknown; doc: Document }[] = [];
  let parsed: Document[];
  try {
    parsed = parseAllDocuments(text, {
      lineCounter: lines,
      uniqueKeys: true,
      prettyErrors: false,
    }) as Document[];
  } catch (err) {
    return { ok: false, errors: [{ path: '', message: `YAML: ${(err as Error).message}` }] };
  }
  if (!Array.isArray(parsed)) parsed = [];
  for (const doc of parsed) {
    for (const e of doc.errors) {
      const pos = lines.linePos(e.pos[0]);
      errors.push({
        path: '',
        line: pos.line,
        message: `YAML syntax error at line ${pos.line}, column ${pos.col}: ${firstLine(e.message)}`,
      });
    }
    if (doc.errors.length === 0) {
      try {
        docs.push({ value: doc.toJS({ maxAliasCount: 100 }), doc });
      } catch (err) {
        errors.push({ path: '', message: `YAML: ${(err as Error).message}` });
      }
    }
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, source: { docs, lines } };
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}

/** The line of the node nearest to `segments` (walking up to the closest one that exists). */
export function lineOf(
  doc: Document,
  lines: LineCounter,
  segments: readonly PathSegment[],
): number | undefined {
  for (let n = segments.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(segments.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | null | undefined)?.range;
    if (range !== undefined) return lines.linePos(range[0]).line;
  }
  return undefined;
}

export function withLines(issues: readonly Issue[], doc: Document, lines: LineCounter): SchemaError[] {
  return issues.map((i) => ({
    path: formatPath(i.segments),
    message: i.message,
    line: lineOf(doc, lines, i.segments),
  }));
}
