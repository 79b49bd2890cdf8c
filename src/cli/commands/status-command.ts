// `tameflare status`: the whole deployment in one look. The control plane's /health, every gateway
// registered with it (probed at the address it registered; `/v1/gateways` needs a token, without
// one the names and link states from /health are shown), and any gateway named with --gateway-url.
// Exit 0 only when everything known is up: the control plane answers ok and every gateway is
// connected and healthy.
import type { Command } from 'commander';
import type { GatewayList, GatewayView } from '../../wire/gateways.js';
import { addExamples } from '../add-examples.js';
import { ApiClient, type HealthProbe, probeHealth, resolveApiTarget } from '../api-client.js';
import { type CliContext, print, printJson } from '../cli-context.js';
import { escapeControl } from '../format-table.js';
import { configText } from './gateway-command.js';

interface StatusFlags {
  dataDir?: string;
  url?: string;
  token?: string;
  gatewayUrl?: string;
  json?: boolean;
}

interface GatewayStatus {
  name: string | null;
  /** From the control plane: connected | unreachable; null for a gateway it does not list. */
  link: string | null;
  view: Partial<GatewayView> | null;
  health: HealthProbe | null;
}

const trimUrl = (u: string) => u.replace(/\/+$/, '');

import { storageLines } from '../storage-summary.js';

export function registerStatusCommand(
  program: Command,
  ctx: CliContext,
  setResult: (code: number) => void,
): void {
  const cmd = program
    .command('status')
    .description('show the health of the whole deployment: the control plane and every gateway')
    .option('--data-dir <dir>', 'data directory (for the CLI token)')
    .option('--url <url>', 'control plane URL (env TAMEFLARE_URL, default http://127.0.0.1:3000)')
    .option('--token <token>', 'API token (env TAMEFLARE_TOKEN, default cli.token), for gateway addresses')
    .option('--gateway-url <url>', 'also probe this gateway (env GATEWAY_URL)')
    .option('--json', 'machine-readable output')
    .action(async (opts: StatusFlags) => {
      const target = resolveApiTarget(ctx, opts);
      const control = await probeHealth(target.url);
      const gateways = await gatewayStatuses(
        new ApiClient(target),
        control,
        opts.gatewayUrl ?? ctx.env.GATEWAY_URL,
      );
      const controlOk = control.reachable && control.body?.status === 'ok';
      const gatewayOk = (g: GatewayStatus) =>
        (g.link === null || g.link === 'connected') &&
        (g.health === null || (g.health.reachable && g.health.body?.status === 'ok'));
      if (opts.json) {
        printJson(ctx, { control, gateways });
      } else {
        print(ctx, controlLine(control));
        for (const line of storageLines(control.body)) print(ctx, line);
        for (const g of gateways) {
          print(ctx, gatewayLine(g));
          for (const line of storageLines(g.health?.body)) print(ctx, line);
        }
        if (control.reachable && gateways.length === 0) print(ctx, `${'gateway'.padEnd(14)} none registered`);
      }
      setResult(controlOk && gateways.every(gatewayOk) ? 0 : 1);
    });
  addExamples(cmd, ['tameflare status', 'tameflare status --json --url https://cp.internal:3000']);
}

/** Registered gateways (with addresses when the token allows), plus --gateway-url, each probed. */
async function gatewayStatuses(
  api: ApiClient,
  control: HealthProbe,
  extraUrl: string | undefined,
): Promise<GatewayStatus[]> {
  const listed = Array.isArray(control.body?.gateways)
    ? (control.body.gateways as { name: string; status: string }[])
    : [];
  let views: GatewayView[] = [];
  if (control.reachable) {
    try {
      views = (await api.request<GatewayList>('GET', '/v1/gateways')).gateways;
    } catch {
      views = []; // no token, or too old a control plane: the names from /health still show
    }
  }
  const out: GatewayStatus[] = listed.map((g) => {
    const view = views.find((v) => v.name === g.name) ?? null;
    return { name: g.name, link: g.status, view: view ?? { ...g, status: undefined }, health: null };
  });
  const extra = extraUrl ? trimUrl(extraUrl) : undefined;
  if (extra && !out.some((g) => g.view?.public_url === extra)) {
    out.push({ name: null, link: null, view: { public_url: extra }, health: null });
  }
  // Without a control plane to ask, the gateway of this host is the best guess.
  if (!control.reachable && out.length === 0) {
    out.push({ name: null, link: null, view: { public_url: 'http://127.0.0.1:9443' }, health: null });
  }
  await Promise.all(
    out.map(async (g) => {
      if (g.view?.public_url) g.health = await probeHealth(g.view.public_url);
    }),
  );
  return out;
}

function controlLine(p: HealthProbe): string {
  const head = `${'control plane'.padEnd(14)} ${p.url}`;
  if (!p.reachable) return `${head}  not running (${p.error})`;
  const b = p.body ?? {};
  const kind = b.database_kind ? `${b.database_kind} ` : '';
  return `${head}  ${String(b.status)}  up ${b.uptime_seconds}s  v${b.version}  database ${kind}${b.database ?? '?'}`;
}

function gatewayLine(g: GatewayStatus): string {
  const url = g.view?.public_url ?? '(address unknown)';
  const head = `${'gateway'.padEnd(14)} ${url}`;
  const link: string[] = [];
  if (g.name) link.push(`name ${escapeControl(g.name)}`);
  if (g.link) link.push(g.link);
  if (g.view?.config_version !== undefined) link.push(`config ${configText(g.view as GatewayView)}`);
  if (typeof g.view?.outbox_backlog === 'number') link.push(`backlog ${g.view.outbox_backlog}`);
  if (g.link === 'unreachable' && g.view?.last_seen_at) link.push(`last seen ${g.view.last_seen_at}`);
  const tail = link.length ? `  ${link.join(', ')}` : '';
  const p = g.health;
  if (!p) return `${head}  not probed${tail}`;
  if (!p.reachable) return `${head}  not running (${p.error})${tail}`;
  const b = p.body ?? {};
  // Said by the gateway itself: while its control plane is unreachable it skips decision tokens.
  const tokens = (b.decision_tokens as { verification?: string } | undefined)?.verification;
  const skipped = tokens === 'skipped' ? ', decision tokens skipped (control plane unreachable)' : '';
  return `${head}  ${String(b.status)}  up ${b.uptime_seconds}s  v${b.version}  agents ${b.agents ?? '?'}, connectors ${b.connectors ?? '?'}${tail}${skipped}`;
}
