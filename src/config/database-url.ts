// TAMEFLARE_DATABASE_URL: where the control plane keeps its state when it is not the data
// directory's local.db. Only PostgreSQL is accepted; the URL may carry a password, so it travels as a
// Secret and only its credential-free description is ever shown.

/** Checks that the text is a postgres:// (or postgresql://) URL naming a host or a socket and a database. */
export function checkDatabaseUrl(text: string): void {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error('not a URL (expected postgres://USER:PASSWORD@HOST:5432/DATABASE)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new Error(
      `unsupported scheme ${url.protocol.replace(/:$/, '')}: only postgres:// is supported (SQLite is the default without this variable)`,
    );
  }
  if (!url.hostname && !url.searchParams.get('host')) throw new Error('names no host');
  if (url.pathname.replace(/^\//, '') === '') throw new Error('names no database (postgres://…/DATABASE)');
}

/** The URL without user, password or query: safe for logs, /health and error messages. */
export function describeDatabaseUrl(text: string): string {
  try {
    const url = new URL(text);
    const socket = url.searchParams.get('host');
    // A `host` parameter (a socket directory) is where pg connects, whatever the URL's host says.
    const where = socket ? `unix:${socket}` : url.host;
    return `postgres://${where}${url.pathname}`;
  } catch {
    return 'postgres://(invalid)';
  }
}
