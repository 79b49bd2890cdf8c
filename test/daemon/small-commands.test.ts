import { describe, expect, it } from 'vitest';
import { runTameflare } from '../helpers/cli-process.js';

describe('small commands', () => {
  it('prints the version', async () => {
    const r = await runTameflare(['version', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ version: expect.stringMatching(/^\d+\.\d+\.\d+/) });
  });

  it('prints a hardened systemd unit for a role', async () => {
    const r = await runTameflare(['systemd-unit', '--role', 'gateway']);
    expect(r.code).toBe(0);
    for (const line of [
      'DynamicUser=yes',
      'StateDirectory=tameflare-gateway',
      'Restart=on-failure',
      'LimitNOFILE=65536',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ExecStart=/usr/local/bin/tameflare serve --role=gateway',
    ]) {
      expect(r.stdout).toContain(`\n${line}\n`);
    }
    const named = await runTameflare(['systemd-unit', '--user', 'tameflare']);
    expect(named.stdout).toContain('\nUser=tameflare\n');
    expect(named.stdout).not.toContain('DynamicUser');
    const bad = await runTameflare(['systemd-unit', '--role', 'proxy']);
    expect(bad.code).toBe(2);
  });

  it('says plainly when the daemon is not running', async () => {
    const r = await runTameflare([
      'status',
      '--url',
      'http://127.0.0.1:1',
      '--gateway-url',
      'http://127.0.0.1:1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('not running');
  });
});
