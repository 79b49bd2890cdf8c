// Who is signed in. `GET /v1/auth/me` decides: a cookie session (or, for scripts and tests, a bearer
// token the browser sends) makes the app show; a 401 shows the sign-in page. The role decides which
// controls exist at all: what a role may not do is not offered.
import { createContext, type ReactNode, useCallback, useContext, useEffect, useState } from 'react';
import { ApiError, api, onSessionLost, setCsrfToken } from './api/client';
import type { LoginAnswer, Me, Role } from './api/types';

const ORDER: Role[] = ['viewer', 'member', 'admin', 'owner'];

export function roleAtLeast(actual: Role, required: Role): boolean {
  return ORDER.indexOf(actual) >= ORDER.indexOf(required);
}

type SessionState =
  | { status: 'loading' }
  | { status: 'signed-out'; notice?: string }
  | { status: 'error'; message: string }
  | { status: 'signed-in'; me: Me };

interface SessionApi {
  state: SessionState;
  signIn(email: string, password: string): Promise<void>;
  signOut(): Promise<void>;
  retry(): void;
}

const SessionContext = createContext<SessionApi | undefined>(undefined);

export function SessionProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<SessionState>({ status: 'loading' });

  const load = useCallback(async () => {
    try {
      const me = await api<Me>('GET', '/auth/me');
      setCsrfToken(me.csrf_token);
      setState({ status: 'signed-in', me });
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) setState({ status: 'signed-out' });
      else setState({ status: 'error', message: (err as Error).message });
    }
  }, []);

  useEffect(() => {
    onSessionLost(() => {
      setCsrfToken(undefined);
      setState((s) =>
        s.status === 'signed-in'
          ? { status: 'signed-out', notice: 'Your session ended. Sign in again to continue.' }
          : s,
      );
    });
    void load();
  }, [load]);

  const signIn = useCallback(
    async (email: string, password: string) => {
      const answer = await api<LoginAnswer>('POST', '/auth/login', { email, password });
      setCsrfToken(answer.csrf_token);
      await load();
    },
    [load],
  );

  const signOut = useCallback(async () => {
    try {
      await api('POST', '/auth/logout');
    } finally {
      setCsrfToken(undefined);
      setState({ status: 'signed-out' });
    }
  }, []);

  return (
    <SessionContext.Provider value={{ state, signIn, signOut, retry: () => void load() }}>
      {children}
    </SessionContext.Provider>
  );
}

export function useSession(): SessionApi {
  const s = useContext(SessionContext);
  if (!s) throw new Error('useSession outside SessionProvider');
  return s;
}

/** The signed-in caller; only used below the app shell, which renders only when signed in. */
export function useMe(): Me {
  const { state } = useSession();
  if (state.status !== 'signed-in') throw new Error('useMe while not signed in');
  return state.me;
}

export function useCan(required: Role): boolean {
  return roleAtLeast(useMe().role, required);
}
