// The resolved configuration of a daemon. Built once by `resolveConfig`, then passed down: nothing
// else reads process.env or config files.
import type { Secret } from './secret.js';

export type Role = 'control' | 'gateway' | 'all';
export type TrafficLogDurability = 'strict' | 'batched';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

export interface ConnectToRule {
  host: string;
  port: number;
  targetHost: string;
  targetPort: number;
}

export interface Config {
  dataDir: string;
  role: Role;
  host: string;
  port: number;
  gatewayPort: number;
  agentPortStart: number;
  /** Last dedicated agent port (inclusive): the gateway's range is agentPortStart..agentPortEnd. */
  agentPortEnd: number;
  /**
   * The gateway's address as agents reach it (`http://host:port`), registered with the control
   * plane; undefined: its bound address (right only when agents run on the same host).
   */
  publicUrl: string | undefined;
  upstreamCaFiles: string[];
  connectTo: ConnectToRule[];
  allowPrivateEgress: string[];
  logLevel: LogLevel;
  gatewayName: string;
  controlPlaneUrl: string | undefined;
  gatewayUrl: string | undefined;
  auditRetentionDays: number;
  /** Traffic-log rows older than this are removed in the background; 0 keeps them. */
  trafficRetentionDays: number;
  approvalTimeoutSeconds: number;
  /** How long an approval stays open for a decision (the hold is shorter; see docs/approvals.md). */
  approvalExpirySeconds: number;
  /** Requests one agent may have held for approval at once on a gateway (429 beyond). */
  maxHoldsPerAgent: number;
  maxBodyBytes: number;
  shutdownGraceMs: number;
  /** strict: a forwarded request's arrival row is committed before the upstream is dialled. */
  trafficLogDurability: TrafficLogDurability;
  gatewayServiceToken: Secret | undefined;
  maintenanceSecret: Secret | undefined;
  masterKey: Secret | undefined;
  /** TAMEFLARE_DATABASE_URL: the control plane's PostgreSQL database; unset means local.db (SQLite). */
  databaseUrl: Secret | undefined;
}

/** Where each value came from, for the start-up summary and error messages. */
export type ConfigSource = 'flag' | 'env' | 'config.yaml' | 'default';
export type ConfigSources = Record<keyof Config, ConfigSource>;

export const DEFAULTS = {
  dataDir: './.tameflare',
  role: 'all',
  host: '127.0.0.1',
  port: 3000,
  gatewayPort: 9443,
  agentPortStart: 9444,
  /** Ports in a range when only its start is given (the seed sizes a gateway at ~50-100 agents). */
  agentPortRangeSize: 1000,
  logLevel: 'info',
  gatewayName: 'default',
  auditRetentionDays: 90,
  trafficRetentionDays: 30,
  approvalTimeoutSeconds: 120,
  approvalExpirySeconds: 3600,
  maxHoldsPerAgent: 100,
  maxBodyBytes: 1024 * 1024,
  shutdownGraceMs: 10_000,
  trafficLogDurability: 'batched',
} as const;
