// Entry point: reads the environment once, removes secrets from it so child processes never
// inherit them, runs the CLI, and is the only place that sets the exit code.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CliError } from './cli/cli-error.js';
import { runCli } from './cli/program.js';
import { SECRET_ENV_VARS } from './config/resolve-config.js';
import { ExitNow } from './errors/exit-now.js';

function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: string;
    };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

const env: Record<string, string | undefined> = { ...process.env };
for (const name of SECRET_ENV_VARS) delete process.env[name];

try {
  process.exitCode = await runCli(process.argv, {
    env,
    stdout: process.stdout,
    stderr: process.stderr,
    stdin: process.stdin,
    version: packageVersion(),
    preloadPath: fileURLToPath(new URL('./agent-env/preload.cjs', import.meta.url)),
  });
} catch (err) {
  if (err instanceof ExitNow) {
    // A daemon whose shutdown cannot finish, or a CLI whose stdout reader went away: whatever still
    // holds the event loop (a stuck close, a `logs --follow` poll) is abandoned.
    process.exit(err.exitCode);
  } else if (err instanceof CliError) {
    process.stderr.write(`tameflare: ${err.message}\n`);
    process.exitCode = err.exitCode;
  } else {
    process.stderr.write(`tameflare: unexpected error: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exitCode = 1;
  }
}
