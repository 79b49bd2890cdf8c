// What an operator copies after adding an agent (or rotating its key): the key, shown once, and the
// lines that point a program at the gateway with it.
import type { Agent, GatewayInfo } from '../api/types';
import { CopyField } from '../components/copy-field';
import { SecretOnce } from '../components/secret-once';

export function proxyUrlWithKey(
  agent: Agent,
  key: string,
  info: GatewayInfo | undefined,
): string | undefined {
  const host = info?.proxy_host;
  const port = info?.proxy_port;
  if (!host || !port) return undefined;
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${encodeURIComponent(agent.name)}:${encodeURIComponent(key)}@${h}:${port}`;
}

export function AgentSettings({
  agent,
  keyValue,
  info,
}: {
  agent: Agent;
  keyValue: string;
  info: GatewayInfo | undefined;
}) {
  const proxy = proxyUrlWithKey(agent, keyValue, info);
  return (
    <SecretOnce
      label="Agent key"
      value={keyValue}
      warning="This key is shown only now. Copy it somewhere safe: TameFlare keeps only its hash."
    >
      <CopyField
        label="Run a program as this agent (on a machine with the tameflare CLI)"
        value={`tameflare run --agent ${agent.name} -- python agent.py`}
      />
      <CopyField
        label="Or print its environment for a shell"
        value={`TAMEFLARE_AGENT_KEY=${keyValue} tameflare env --agent ${agent.name}`}
      />
      {proxy ? (
        <>
          <CopyField
            label="Proxy settings for any HTTP client"
            value={`HTTPS_PROXY=${proxy}\nHTTP_PROXY=${proxy}`}
          />
          <p className="muted small">
            Clients must also trust the gateway's certificate authority: <code>tameflare ca pem</code> prints
            it.
          </p>
        </>
      ) : (
        <p className="muted small">No gateway is linked yet, so there is no proxy address to show.</p>
      )}
      {agent.port_url && agent.port && (
        <CopyField
          label={
            agent.proxy_auth
              ? 'Or its dedicated port (still needs the key)'
              : 'Or its dedicated port (no key needed)'
          }
          value={
            agent.proxy_auth
              ? `HTTPS_PROXY=${agent.port_url.replace('://', `://${encodeURIComponent(agent.name)}:${encodeURIComponent(keyValue)}@`)}`
              : `HTTPS_PROXY=${agent.port_url}`
          }
        />
      )}
    </SecretOnce>
  );
}
