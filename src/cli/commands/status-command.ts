import type { Command } from 'commander';
import { addExamples } from '../add-examples.js';
import { type HealthProbe, probeHealth, resolveApiTarget } from '../api-client.js';
import { type CliContext, print, printJson } from '../cli-context.js';

export function registerStatusCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  const cmd = program
    .command('status')
    .description('show the health of the control plane and the gateway')
    .option('--data-dir <dir>', 'data directory (for the CLI token)')
    .option('--url <url>', 'control plane URL (env TAMEFLARE_URL, default http://127.0.0.1:3000)')
    .option('--gateway-url <url>', 'gateway URL (env GATEWAY_URL, default http://127.0.0.1:9443)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { dataDir?: string; url?: string; gatewayUrl?: string; json?: boolean }) => {
      const target = resolveApiTarget(ctx, opts);
      const gatewayUrl = (opts.gatewayUrl ?? ctx.env.GATEWAY_URL ?? 'http://127.0.0.1:9443').replace(
        /\/+$/,
        '',
      );
      const [control, gateway] = await Promise.all([probeHealth(target.url), probeHealth(gatewayUrl)]);
      const up = (p: HealthProbe) => p.reachable && p.body?.status === 'ok';
      if (opts.json) {
        printJson(ctx, { control, gateway });
      } else {
        for (const [name, p] of [
          ['control plane', control],
          ['gateway', gateway],
        ] as const) {
          if (!p.reachable) {
            print(ctx, `${name.padEnd(14)} ${p.url}  not running (${p.error})`);
            continue;
          }
          const b = p.body ?? {};
          const extra =
            name === 'gateway'
              ? `agents ${b.agents ?? '?'}, connectors ${b.connectors ?? '?'}`
              : `database ${b.database ?? '?'}`;
          print(
            ctx,
            `${name.padEnd(14)} ${p.url}  ${String(b.status)}  up ${b.uptime_seconds}s  v${b.version}  ${extra}`,
          );
        }
      }
      // Exit 0 only when every role that answers is healthy and at least one answers.
      const anyUp = control.reachable || gateway.reachable;
      const allOk = [control, gateway].every((p) => !p.reachable || up(p));
      setResult(anyUp && allOk ? 0 : 1);
    });
  addExamples(cmd, ['tameflare status', 'tameflare status --json --url http://cp.internal:3000']);
}
