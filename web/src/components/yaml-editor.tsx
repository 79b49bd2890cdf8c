// A plain-text YAML editor with line numbers and the server's validation errors shown at their line.
// A textarea keeps native editing, undo, selection and screen-reader support; the gutter scrolls with it.
import { useRef } from 'react';
import type { SchemaError } from '../api/types';

export function YamlEditor({
  value,
  onChange,
  errors,
  readOnly = false,
  label,
}: {
  value: string;
  onChange: (v: string) => void;
  errors: SchemaError[];
  readOnly?: boolean;
  label: string;
}) {
  const area = useRef<HTMLTextAreaElement>(null);
  const gutter = useRef<HTMLDivElement>(null);
  const lines = value.split('\n').length;
  const bad = new Map<number, string>();
  for (const e of errors) if (e.line !== undefined && !bad.has(e.line)) bad.set(e.line, e.message);

  const goTo = (line: number) => {
    const ta = area.current;
    if (!ta) return;
    const starts = value.split('\n');
    let pos = 0;
    for (let i = 0; i < line - 1 && i < starts.length; i++) pos += (starts[i]?.length ?? 0) + 1;
    ta.focus();
    ta.setSelectionRange(pos, pos + (starts[line - 1]?.length ?? 0));
    const lh = ta.scrollHeight / Math.max(1, starts.length);
    ta.scrollTop = Math.max(0, (line - 4) * lh);
  };

  return (
    <div className="yaml-editor">
      <div className="editor-frame">
        <div className="gutter" ref={gutter} aria-hidden="true">
          {Array.from({ length: lines }, (_, i) => {
            const n = i + 1;
            return (
              <div
                key={n}
                className={bad.has(n) ? 'gutter-line gutter-bad' : 'gutter-line'}
                title={bad.get(n)}
              >
                {n}
              </div>
            );
          })}
        </div>
        <textarea
          ref={area}
          aria-label={label}
          aria-invalid={errors.length > 0}
          aria-describedby={errors.length > 0 ? 'yaml-errors' : undefined}
          spellCheck={false}
          autoCapitalize="off"
          autoCorrect="off"
          readOnly={readOnly}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          onScroll={(e) => {
            if (gutter.current) gutter.current.scrollTop = e.currentTarget.scrollTop;
          }}
          onKeyDown={(e) => {
            // Tab inserts two spaces (YAML indents with spaces); Escape then Tab leaves the editor.
            if (e.key === 'Tab' && !e.shiftKey && !readOnly && !e.currentTarget.dataset.escaped) {
              e.preventDefault();
              const ta = e.currentTarget;
              const { selectionStart: s, selectionEnd: end } = ta;
              onChange(`${value.slice(0, s)}  ${value.slice(end)}`);
              requestAnimationFrame(() => ta.setSelectionRange(s + 2, s + 2));
            }
            if (e.key === 'Escape') e.currentTarget.dataset.escaped = '1';
            else if (e.key !== 'Tab') delete e.currentTarget.dataset.escaped;
          }}
        />
      </div>
      <p className="muted small">Tab indents; press Escape then Tab to leave the editor.</p>
      {errors.length > 0 && (
        <ul id="yaml-errors" className="schema-errors" aria-live="polite">
          {errors.map((e) => (
            <li key={`${e.line ?? ''}:${e.path}:${e.message}`}>
              {e.line !== undefined ? (
                <button type="button" className="link-button" onClick={() => goTo(e.line!)}>
                  Line {e.line}
                </button>
              ) : (
                <span>Document</span>
              )}
              {e.path ? <code>{e.path}</code> : null}
              <span>{e.message}</span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
