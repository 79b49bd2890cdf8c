import { describe, expect, it } from 'vitest';
import { ConfigError, parseConnectTo, resolveConfig, summarizeConfig } from './resolve-config.js';

describe('resolveConfig', () => {
  it('uses the defaults when nothing is given', () => {
    const { config, sources } = resolveConfig({ flags: {}, env: {} });
    expect(config).toMatchObject({
      dataDir: './.tameflare',
      role: 'all',
      host: '127.0.0.1',
      port: 3000,
      gatewayPort: 9443,
      agentPortStart: 9444,
      auditRetentionDays: 90,
      trafficRetentionDays: 30,
      approvalTimeoutSeconds: 120,
      logLevel: 'info',
    });
    expect(sources.port).toBe('default');
  });

  it('takes traffic_retention_days from the flag, the environment or config.yaml (0 keeps everything)', () => {
    const file = { traffic_retention_days: 7 };
    expect(resolveConfig({ flags: {}, env: {}, file }).config.trafficRetentionDays).toBe(7);
    const env = { TAMEFLARE_TRAFFIC_RETENTION_DAYS: '0' };
    expect(resolveConfig({ flags: {}, env, file }).config.trafficRetentionDays).toBe(0);
    expect(
      resolveConfig({ flags: { trafficRetentionDays: '14' }, env, file }).config.trafficRetentionDays,
    ).toBe(14);
    expect(() => resolveConfig({ flags: { trafficRetentionDays: '-3' }, env: {} })).toThrow(
      'invalid traffic_retention_days (from --traffic-retention-days)',
    );
  });

  it('applies flags over env over config.yaml over defaults', () => {
    const file = { port: 4000, gateway_port: 9500, log_level: 'warn', host: '0.0.0.0' };
    const env = { TAMEFLARE_PORT: '5000', TAMEFLARE_LOG_LEVEL: 'debug' };
    const { config, sources } = resolveConfig({ flags: { port: '6000' }, env, file });
    expect(config.port).toBe(6000);
    expect(sources.port).toBe('flag');
    expect(config.logLevel).toBe('debug');
    expect(sources.logLevel).toBe('env');
    expect(config.gatewayPort).toBe(9500);
    expect(sources.gatewayPort).toBe('config.yaml');
    expect(config.host).toBe('0.0.0.0');
  });

  it('reads every environment variable the spec names', () => {
    const { config } = resolveConfig({
      flags: {},
      env: {
        GATEWAY_SERVICE_TOKEN: 'service-token-0123456789',
        CONTROL_PLANE_URL: 'https://cp.example.com/',
        GATEWAY_URL: 'http://gw.internal:9443',
        MAINTENANCE_SECRET: 'maintenance-0123456789',
        AUDIT_RETENTION_DAYS: '0',
        TAMEFLARE_DATA_DIR: '/var/lib/tameflare',
        TAMEFLARE_MASTER_KEY: Buffer.alloc(32, 7).toString('base64'),
        TAMEFLARE_LOG_LEVEL: 'error',
        TAMEFLARE_APPROVAL_TIMEOUT: '60',
      },
    });
    expect(config.controlPlaneUrl).toBe('https://cp.example.com');
    expect(config.gatewayUrl).toBe('http://gw.internal:9443');
    expect(config.auditRetentionDays).toBe(0);
    expect(config.dataDir).toBe('/var/lib/tameflare');
    expect(config.approvalTimeoutSeconds).toBe(60);
    expect(config.gatewayServiceToken?.reveal()).toBe('service-token-0123456789');
    expect(config.maintenanceSecret?.reveal()).toBe('maintenance-0123456789');
    expect(config.masterKey?.reveal()).toBe(Buffer.alloc(32, 7).toString('base64'));
    expect(JSON.stringify(config)).not.toContain('service-token-0123456789');
  });

  it.each([
    [
      { flags: { port: 'abc' }, env: {} },
      'invalid port (from --port): must be an integer from 0 to 65535, got "abc"',
    ],
    [{ flags: {}, env: { TAMEFLARE_PORT: '70000' } }, 'invalid port (from TAMEFLARE_PORT)'],
    [
      { flags: { role: 'both' }, env: {} },
      'invalid role (from --role): must be one of control, gateway, all',
    ],
    [
      { flags: {}, env: { TAMEFLARE_APPROVAL_TIMEOUT: '300' } },
      'invalid approval_timeout_seconds (from TAMEFLARE_APPROVAL_TIMEOUT)',
    ],
    [
      { flags: {}, env: { AUDIT_RETENTION_DAYS: '-1' } },
      'invalid audit_retention_days (from AUDIT_RETENTION_DAYS)',
    ],
    [
      { flags: {}, env: { CONTROL_PLANE_URL: 'ftp://x' } },
      'invalid control_plane_url (from CONTROL_PLANE_URL)',
    ],
    [
      { flags: {}, env: { GATEWAY_SERVICE_TOKEN: 'short' } },
      'invalid gateway_service_token (from GATEWAY_SERVICE_TOKEN)',
    ],
    [{ flags: { connectTo: ['api.github.com:443'] }, env: {} }, 'invalid connect_to (from --connect-to)'],
    [
      { flags: { unsafeAllowPrivateEgress: '10.0.0.0/33' }, env: {} },
      'invalid allow_private_egress (from --unsafe-allow-private-egress)',
    ],
    [
      { flags: {}, env: { TAMEFLARE_MASTER_KEY: 'a2V5' } },
      'invalid master_key (from TAMEFLARE_MASTER_KEY): must be base64 of 32 bytes',
    ],
    [{ flags: {}, env: {}, file: { prot: 3000 } }, 'invalid prot (from config.yaml): unknown key'],
    [{ flags: {}, env: {}, file: { port: 'x' } }, 'invalid port (from config.yaml port)'],
    [{ flags: {}, env: {}, file: { maintenance_secret: 'x' } }, 'secrets belong in the environment'],
    [{ flags: { port: '9443' }, env: {} }, 'invalid port (from --port): equals the gateway port 9443'],
    [
      { flags: { agentPortStart: '20000', agentPortEnd: '19999' }, env: {} },
      'invalid agent_port_end (from --agent-port-end): must not be below the first agent port 20000',
    ],
    [
      { flags: {}, env: { TAMEFLARE_PUBLIC_URL: 'https://gw.example.com:9443' } },
      'invalid public_url (from TAMEFLARE_PUBLIC_URL): must be an http:// URL',
    ],
    [
      { flags: { publicUrl: 'http://gw.example.com:9443/proxy' }, env: {} },
      'invalid public_url (from --public-url): must be http://HOST:PORT',
    ],
  ])('rejects a bad value with its key and source: %j', (inputs, message) => {
    expect(() => resolveConfig(inputs)).toThrow(ConfigError);
    expect(() => resolveConfig(inputs)).toThrow(message);
  });

  it('gives the gateway an agent port range and takes its public address', () => {
    expect(resolveConfig({ flags: {}, env: {} }).config).toMatchObject({
      agentPortStart: 9444,
      agentPortEnd: 10443,
      publicUrl: undefined,
    });
    const { config, sources } = resolveConfig({
      flags: { agentPortStart: '65000' },
      env: { TAMEFLARE_PUBLIC_URL: 'http://agents-1.internal:9443/' },
      file: { agent_port_end: 65010 },
    });
    expect(config).toMatchObject({
      agentPortStart: 65000,
      agentPortEnd: 65010,
      publicUrl: 'http://agents-1.internal:9443',
    });
    expect(sources.agentPortEnd).toBe('config.yaml');
    expect(resolveConfig({ flags: { agentPortStart: '65000' }, env: {} }).config.agentPortEnd).toBe(65535);
  });

  it('parses --connect-to like curl', () => {
    expect(parseConnectTo('api.github.com:443:127.0.0.1:8443')).toEqual({
      host: 'api.github.com',
      port: 443,
      targetHost: '127.0.0.1',
      targetPort: 8443,
    });
    expect(parseConnectTo('Example.com:80:[::1]:8080').targetHost).toBe('::1');
  });

  it('summarises without secrets', () => {
    const { config, sources } = resolveConfig({
      flags: {},
      env: { MAINTENANCE_SECRET: 'maintenance-0123456789' },
    });
    const summary = summarizeConfig(config, sources);
    expect(summary.maintenanceSecret).toBe('set (env)');
    expect(JSON.stringify(summary)).not.toContain('maintenance-0123456789');
  });
});
