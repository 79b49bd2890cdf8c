// The state of one user action (a form submit, a confirmed button): busy while it runs, and the
// server's answer in words when it fails.
import { useCallback, useState } from 'react';
import { describeError } from './components/notices';

export interface Action {
  busy: boolean;
  error: string | undefined;
  /** Runs `work`; resolves true when it succeeded. */
  run(work: () => Promise<unknown>): Promise<boolean>;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | undefined>(undefined);
  const run = useCallback(async (work: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await work();
      return true;
    } catch (err) {
      setError(describeError(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, error, run };
}
