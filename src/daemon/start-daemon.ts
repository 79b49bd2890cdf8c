// A daemon of the selected role(s): the composition root's context, started. A failed start
// releases whatever was built.
import type { Logger } from 'pino';
import type { Config, ConfigSources } from '../config/config.js';
import type { ControlPlane } from '../control/build-control-plane.js';
import type { Gateway } from '../gateway/gateway.js';
import type { GatewaySync } from '../sync/gateway-sync-client.js';
import type { BootstrapResult } from './bootstrap.js';
import { createContext } from './create-context.js';

export interface DaemonOptions {
  config: Config;
  sources?: ConfigSources | undefined;
  logger?: Logger | undefined;
  version: string;
  adminEmail?: string | undefined;
  adminPassword?: string | undefined;
  now?: (() => Date) | undefined;
}

export interface Daemon {
  readonly control: ControlPlane | undefined;
  readonly gateway: Gateway | undefined;
  readonly controlUrl: string | undefined;
  readonly gatewayUrl: string | undefined;
  readonly bootstrap: BootstrapResult | undefined;
  readonly sync: GatewaySync | undefined;
  close(): Promise<void>;
}

export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  const { config, ...overrides } = opts;
  const context = await createContext(config, overrides);
  try {
    const { controlUrl, gatewayUrl } = await context.start();
    return {
      control: context.control,
      gateway: context.gateway,
      controlUrl,
      gatewayUrl,
      bootstrap: context.bootstrap,
      sync: context.sync,
      close: context.close,
    };
  } catch (err) {
    await context.close();
    throw err;
  }
}
