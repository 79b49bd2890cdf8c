// A value to copy (a key shown once, a command line). The clipboard API needs a secure context
// (HTTPS or localhost); elsewhere the text is selected so the person can copy it by hand.
import { useRef, useState } from 'react';

export function CopyField({
  label,
  value,
  secret = false,
}: {
  label: string;
  value: string;
  secret?: boolean;
}) {
  const ref = useRef<HTMLElement>(null);
  const [state, setState] = useState<'idle' | 'copied' | 'select'>('idle');
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      const sel = window.getSelection();
      if (ref.current && sel) {
        const range = document.createRange();
        range.selectNodeContents(ref.current);
        sel.removeAllRanges();
        sel.addRange(range);
      }
      setState('select');
    }
  };
  return (
    <div className="copy-field">
      <span className="copy-label">{label}</span>
      <div className="copy-row">
        <code ref={ref} className={secret ? 'copy-value secret' : 'copy-value'}>
          {value}
        </code>
        <button
          type="button"
          className="btn btn-small"
          onClick={() => void copy()}
          aria-label={`Copy ${label}`}
        >
          {state === 'copied' ? 'Copied' : 'Copy'}
        </button>
      </div>
      {state === 'select' && <span className="muted small">Selected: press Ctrl+C (⌘C) to copy.</span>}
    </div>
  );
}
