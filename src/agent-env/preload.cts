// Loaded into every Node process that `tameflare run` starts (`NODE_OPTIONS=--require <this file>`).
//
// Why: Node's http, https and fetch ignore HTTP(S)_PROXY before 22.21 / 24.5, and even there only
// the global agents follow them, so an unmodified agent, or a library inside it that builds its own
// agent, would go straight out and never meet the gateway that decides and injects credentials. This
// routes every HTTP(S) connection through the proxy named in the environment:
// - fetch: undici's global dispatcher (fetch-dispatcher.cts);
// - node:http / node:https: the Agent prototypes, so any agent a library builds (patch-agents.cts);
// - anything over TLS, node:http2 and ws included: tls.connect (patch-tls.cts).
// It is CommonJS because `--require` starts about 6 ms faster than `--import` (no ESM loader).
//
// Threat model: this runs inside the agent's own process, so it is a convenience, not a boundary; code
// in the agent can undo it, and an agent that must not reach the internet directly needs the network to
// enforce that (only the gateway reachable). What it does guarantee:
// - the proxy credential (user:password of the proxy URL) is sent only to the proxy, as
//   Proxy-Authorization: never to a target, never to a NO_PROXY host, never inside a tunnel;
// - TLS is never weakened: tunnelled targets are verified against Node's roots plus
//   NODE_EXTRA_CA_CERTS (which is how the child trusts the gateway's CA), or the caller's own `ca`;
// - a connection that cannot be tunnelled fails with the proxy's reason; it never falls back to direct;
// - importing it never breaks the agent: it is silent, and on any failure it prints one line to stderr
//   and changes nothing (requests then go direct, which the gateway cannot see).
// It loads only node built-ins and TameFlare's own copy of undici, resolved next to this file.
// The parts are loaded inside the try: a part that fails to load must not stop the agent either.
try {
  const { install } =
    require('./preload/install-preload.cjs') as typeof import('./preload/install-preload.cjs');
  install();
} catch (err) {
  const reason = (err instanceof Error ? err.message : String(err)).split('\n')[0];
  process.stderr.write(`tameflare: proxy preload not applied, requests may bypass the gateway (${reason})\n`);
}
