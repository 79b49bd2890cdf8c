// A fetch for official SDKs (Octokit, openai) that goes through the gateway the way an agent's would
// under HTTPS_PROXY. Node 20's global fetch ignores proxy variables, so each SDK gets this instead:
// undici's fetch with a ProxyAgent that authenticates as the agent and trusts the gateway's CA.
import { ProxyAgent, fetch as undiciFetch } from 'undici';

export interface ProxiedFetch {
  /** Typed as the global fetch because that is what the SDKs' `fetch` options accept. */
  fetch: typeof globalThis.fetch;
  /** What the SDK handed to fetch, so a test can show the dummy credential it sent. */
  sent: { url: string; headers: Record<string, string> }[];
  close(): Promise<void>;
}

export function proxiedFetch(proxyUrl: string, gatewayCaPem: string): ProxiedFetch {
  const dispatcher = new ProxyAgent({ uri: proxyUrl, requestTls: { ca: gatewayCaPem } });
  const sent: ProxiedFetch['sent'] = [];
  const fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    // Both SDKs pass a URL string and a plain init; a global Request would belong to Node's bundled
    // undici, whose classes this undici does not recognise, so refuse it loudly rather than guess.
    if (typeof input !== 'string' && !(input instanceof URL)) {
      throw new TypeError('proxiedFetch takes a URL, not a Request');
    }
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, name) => {
      headers[name] = value;
    });
    sent.push({ url: String(input), headers });
    const res = await undiciFetch(input, {
      ...(init as Parameters<typeof undiciFetch>[1]),
      dispatcher,
    });
    return res as unknown as Response;
  };
  return { fetch, sent, close: () => dispatcher.close() };
}
