// Node 20's global fetch routed through the proxy: undici's global dispatcher slot is given an
// EnvHttpProxyAgent from TameFlare's own undici 7, built on first use.
import nodeModule = require('node:module');

type Undici = typeof import('undici');
type DispatchOptions = { headers?: unknown };
type Dispatch = (options: DispatchOptions, handler: unknown) => boolean;

// Symbol.for('undici.globalDispatcher.1') is the slot every undici copy reads, including the one
// inside Node's fetch; undici 7's setGlobalDispatcher writes it and a '.2' twin, so do we.
const SLOTS = [Symbol.for('undici.globalDispatcher.1'), Symbol.for('undici.globalDispatcher.2')];

/** `"2, 2"` → `"2"`: a repeated, identical Content-Length is one value (RFC 9110 §8.6). */
function oneLength(value: unknown): unknown {
  if (typeof value !== 'string') return value;
  const match = /^\s*(\d+)(?:\s*,\s*\1)+\s*$/.exec(value);
  return match ? match[1] : value;
}

/**
 * Node 20's bundled fetch (undici 6) joins a Content-Length the caller set with its own into
 * `"2, 2"`, which undici 6 sends as one value but undici 7 refuses (UND_ERR_INVALID_ARG). Without the
 * preload the call works, so the preload must not break it.
 */
function normalizeHeaders(headers: unknown): unknown {
  if (Array.isArray(headers)) {
    const out = [...headers];
    for (let i = 0; i + 1 < out.length; i += 2) {
      if (String(out[i]).toLowerCase() === 'content-length') out[i + 1] = oneLength(out[i + 1]);
    }
    return out;
  }
  if (headers && typeof headers === 'object' && !(Symbol.iterator in headers)) {
    const out: Record<string, unknown> = { ...(headers as Record<string, unknown>) };
    for (const name of Object.keys(out)) {
      if (name.toLowerCase() === 'content-length') out[name] = oneLength(out[name]);
    }
    return out;
  }
  return headers;
}

/**
 * Loading undici costs about 75 ms, and most Node processes an agent starts (npm, tsc, linters) never
 * call fetch. So fetch gets a stand-in that loads undici and builds the real dispatcher on first use;
 * every property read is forwarded, so it behaves as the EnvHttpProxyAgent it stands for.
 */
function lazyDispatcher(create: () => object): object {
  let real: object | undefined;
  const target = () => {
    real ??= create();
    return real;
  };
  return new Proxy(Object.create(null), {
    get(_, key) {
      const value: unknown = Reflect.get(target(), key);
      if (key === 'dispatch' && typeof value === 'function') {
        const dispatch = value.bind(target()) as Dispatch;
        return (options: DispatchOptions, handler: unknown) =>
          dispatch(
            options.headers === undefined
              ? options
              : { ...options, headers: normalizeHeaders(options.headers) },
            handler,
          );
      }
      // Methods are bound so that they run on the real dispatcher (its private fields live there).
      return typeof value === 'function' && key !== 'constructor' ? value.bind(target()) : value;
    },
    set: (_, key, value) => Reflect.set(target(), key, value),
    has: (_, key) => Reflect.has(target(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(target()),
  });
}

/** Whether `version` meets a `>=x.y.z` range (the only form undici's engines field uses). */
function satisfiesMinimum(version: string, range: string | undefined): boolean {
  const minimum = /^>=\s*(\d+)\.(\d+)\.(\d+)$/.exec(range?.trim() ?? '');
  if (!minimum) return true;
  const have = version.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const want = Number(minimum[i + 1]);
    if ((have[i] ?? 0) !== want) return (have[i] ?? 0) > want;
  }
  return true;
}

/**
 * Checks everything that can fail (undici resolvable and new enough for this Node, the slots
 * writable) and returns the assignment to run once every other check of the preload has passed.
 */
function prepareFetchDispatcher(proxies: {
  httpProxy: string;
  httpsProxy: string;
  noProxy: string;
}): () => void {
  // Resolved from this file, i.e. TameFlare's install, never the agent's working directory.
  const require = nodeModule.createRequire(__filename);
  const undiciPath = require.resolve('undici');
  const { engines } = require('undici/package.json') as { engines?: { node?: string } };
  if (!satisfiesMinimum(process.versions.node, engines?.node)) {
    throw new Error(`TameFlare's undici needs Node ${engines?.node}`);
  }
  for (const slot of SLOTS) {
    const current = Object.getOwnPropertyDescriptor(globalThis, slot);
    if (current && !current.writable && !current.configurable) throw new Error('undici dispatcher is locked');
  }
  const dispatcher = lazyDispatcher(() => {
    const { EnvHttpProxyAgent } = require(undiciPath) as Undici;
    return new EnvHttpProxyAgent(proxies);
  });
  return () => {
    for (const slot of SLOTS) {
      Object.defineProperty(globalThis, slot, {
        value: dispatcher,
        writable: true,
        enumerable: false,
        configurable: false,
      });
    }
  };
}

export = { prepareFetchDispatcher, normalizeHeaders };
