import type { Command } from 'commander';
import { addExamples } from '../add-examples.js';
import { type CliContext, print } from '../cli-context.js';
import { CliError } from '../cli-error.js';

export function systemdUnit(opts: { role: string; execPath: string; user?: string | undefined }): string {
  const name = opts.role === 'all' ? 'tameflare' : `tameflare-${opts.role}`;
  const userLines = opts.user ? [`User=${opts.user}`, `Group=${opts.user}`] : ['DynamicUser=yes'];
  return [
    '[Unit]',
    `Description=TameFlare ${opts.role === 'all' ? 'control plane and gateway' : opts.role === 'control' ? 'control plane' : 'gateway'}`,
    'Documentation=https://github.com/tameflare/tameflare',
    'After=network-online.target',
    'Wants=network-online.target',
    '',
    '[Service]',
    'Type=simple',
    ...userLines,
    `StateDirectory=${name}`,
    'StateDirectoryMode=0700',
    `Environment=TAMEFLARE_DATA_DIR=/var/lib/${name}`,
    `EnvironmentFile=-/etc/${name}/env`,
    `ExecStart=${opts.execPath} serve --role=${opts.role}`,
    'Restart=on-failure',
    'RestartSec=2s',
    'TimeoutStopSec=30s',
    'LimitNOFILE=65536',
    'NoNewPrivileges=yes',
    'ProtectSystem=strict',
    'ProtectHome=yes',
    'PrivateTmp=yes',
    'PrivateDevices=yes',
    'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes',
    'ProtectKernelLogs=yes',
    'ProtectControlGroups=yes',
    'ProtectClock=yes',
    'ProtectHostname=yes',
    'RestrictNamespaces=yes',
    'RestrictRealtime=yes',
    'RestrictSUIDSGID=yes',
    'LockPersonality=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX',
    'CapabilityBoundingSet=',
    'AmbientCapabilities=',
    'SystemCallArchitectures=native',
    'SystemCallFilter=@system-service',
    'SystemCallFilter=~@privileged',
    'UMask=0077',
    '',
    '[Install]',
    'WantedBy=multi-user.target',
    '',
  ].join('\n');
}

export function registerSystemdUnitCommand(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('systemd-unit')
    .description('print a hardened systemd unit for a role')
    .option('--role <role>', 'control | gateway | all', 'all')
    .option('--user <name>', 'run as this existing user instead of a DynamicUser')
    .option('--exec <path>', 'path of the tameflare executable', '/usr/local/bin/tameflare')
    .action((opts: { role: string; user?: string; exec: string }) => {
      if (!['control', 'gateway', 'all'].includes(opts.role)) {
        throw new CliError(`invalid --role ${JSON.stringify(opts.role)}: must be control, gateway or all`, 2);
      }
      print(ctx, systemdUnit({ role: opts.role, execPath: opts.exec, user: opts.user }));
    });
  addExamples(cmd, [
    'tameflare systemd-unit --role gateway > /etc/systemd/system/tameflare-gateway.service',
    'tameflare systemd-unit --user tameflare',
  ]);
}
