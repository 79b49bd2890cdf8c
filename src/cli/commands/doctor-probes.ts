// The probes of `tameflare doctor`: for each runtime and HTTP library, how to tell whether it is
// installed, one request that must come back with the probe's nonce from the gateway's test host
// (src/wire/doctor-host.ts), one request the gateway refuses whose error must show the reason, and
// the fix to print for each way it can fail. Each probe is what an agent would write, no proxy or CA
// settings of its own: it runs with exactly the environment `tameflare run` gives a child.
import { DOCTOR_HOST } from '../../wire/doctor-host.js';

export interface ProbeCommand {
  file: string;
  args: string[];
}

export interface RuntimeProbe {
  runtime: string;
  library: string;
  /** Exits 0 when the runtime (and library) is installed; run outside the agent's environment. */
  present: ProbeCommand;
  /** Must exit 0 printing the nonce. */
  ok(nonce: string): ProbeCommand;
  /** Must fail, its output showing the refusal's reason. */
  deny(): ProbeCommand;
  /** What to do when the request did not reach the gateway. */
  routeFix: string;
  /** What to do when the client did not trust the gateway's CA. */
  trustFix: string;
}

const BASE = `https://${DOCTOR_HOST}`;
const okUrl = (nonce: string) => `${BASE}/ok?nonce=${nonce}`;
const DENY_URL = `${BASE}/deny`;

const cmd = (file: string, ...args: string[]): ProbeCommand => ({ file, args });

function python(library: string, module: string, code: string, routeFix: string, trustFix: string) {
  return {
    runtime: 'python3',
    library,
    present: cmd('python3', '-c', `import ${module}`),
    ok: (nonce: string) => cmd('python3', '-c', code, okUrl(nonce)),
    deny: () => cmd('python3', '-c', code, DENY_URL),
    routeFix,
    trustFix,
  } satisfies RuntimeProbe;
}

function node(library: string, code: string, routeFix: string): RuntimeProbe {
  const present =
    library === 'fetch' || library === 'https'
      ? cmd('node', '-e', '')
      : cmd('node', '-e', `require.resolve(${JSON.stringify(library)})`);
  return {
    runtime: 'node',
    library,
    present,
    ok: (nonce) => cmd('node', '-e', code, okUrl(nonce)),
    deny: () => cmd('node', '-e', code, DENY_URL),
    routeFix,
    trustFix:
      'Node reads NODE_EXTRA_CA_CERTS only at start: check that nothing resets it, and that no code passes its own `ca` option',
  };
}

const NODE_PRELOAD_FIX =
  'the preload in NODE_OPTIONS (`--require …/preload.cjs`) routes Node: check that the program does not clear NODE_OPTIONS';

/** Prints the body, or fails with the status line (what most code does with a non-2xx answer). */
const NODE_FETCH = `fetch(process.argv[1]).then(async (r) => { if (!r.ok) throw new Error(r.status + ' ' + r.statusText); console.log(await r.text()); }).catch((e) => { console.error(String(e), e.cause ? String(e.cause) : ''); process.exit(1); });`;
const NODE_HTTPS = `require('https').get(process.argv[1], (r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => { if (r.statusCode >= 400) { console.error(r.statusCode + ' ' + r.statusMessage); process.exit(1); } console.log(b); }); }).on('error', (e) => { console.error(String(e)); process.exit(1); });`;
const NODE_UNDICI = `require('undici').request(process.argv[1]).then(async (r) => { const b = await r.body.text(); if (r.statusCode >= 400) throw new Error(r.statusCode + ' ' + b); console.log(b); }).catch((e) => { console.error(String(e), e.cause ? String(e.cause) : ''); process.exit(1); });`;
// The doctor host answers a WebSocket handshake with an error naming the nonce (or the refusal).
const NODE_WS = `const W = require('ws'); const ws = new W(process.argv[1].replace('https:', 'wss:')); ws.on('unexpected-response', (q, r) => { let b = ''; r.on('data', (d) => (b += d)); r.on('end', () => { console.log(r.statusCode + ' ' + r.statusMessage + ' ' + b); process.exit(r.statusCode === 400 ? 0 : 1); }); }); ws.on('error', (e) => { console.error(String(e)); process.exit(1); }); ws.on('open', () => process.exit(1));`;

const PY_URLLIB = 'import sys, urllib.request\nprint(urllib.request.urlopen(sys.argv[1]).read().decode())';
const PY_REQUESTS =
  'import sys, requests\nr = requests.get(sys.argv[1])\nr.raise_for_status()\nprint(r.text)';
const PY_HTTPX = 'import sys, httpx\nr = httpx.get(sys.argv[1])\nr.raise_for_status()\nprint(r.text)';
const PY_AIOHTTP = `import sys, asyncio, aiohttp
async def main():
    async with aiohttp.ClientSession(raise_for_status=True) as s:
        async with s.get(sys.argv[1]) as r:
            print(await r.text())
asyncio.run(main())`;
const PY_URLLIB3 = `import sys, urllib3
r = urllib3.PoolManager().request("GET", sys.argv[1])
print(r.status, r.reason, r.data.decode())
sys.exit(1 if r.status >= 400 else 0)`;

const RUBY = `r = Net::HTTP.get_response(URI(ARGV[0])); r.value; puts r.body`;
const PHP = `$c = curl_init($argv[1]); curl_setopt($c, CURLOPT_RETURNTRANSFER, true); $b = curl_exec($c); if ($b === false) { fwrite(STDERR, curl_error($c) . "\\n"); exit(1); } echo $b, "\\n"; exit(curl_getinfo($c, CURLINFO_HTTP_CODE) >= 400 ? 1 : 0);`;

export const JAVA_SOURCE = `import java.net.*; import java.io.*;
public class DoctorProbe { public static void main(String[] a) throws Exception {
  HttpURLConnection c = (HttpURLConnection) new URL(a[0]).openConnection();
  int code = c.getResponseCode();
  InputStream in = code >= 400 ? c.getErrorStream() : c.getInputStream();
  String body = in == null ? "" : new String(in.readAllBytes(), "UTF-8");
  if (code >= 400) { System.err.println(code + " " + c.getResponseMessage() + " " + body); System.exit(1); }
  System.out.println(body);
} }
`;

export const GO_SOURCE = `package main
import ("fmt"; "io"; "net/http"; "os")
func main() {
  r, err := http.Get(os.Args[1])
  if err != nil { fmt.Fprintln(os.Stderr, err); os.Exit(1) }
  b, _ := io.ReadAll(r.Body)
  if r.StatusCode >= 400 { fmt.Fprintln(os.Stderr, r.Status, string(b)); os.Exit(1) }
  fmt.Println(string(b))
}
`;

/** Every probe; `files` names where DoctorProbe.java and doctor-probe.go were written. */
export function runtimeProbes(files: { java: string; go: string }): RuntimeProbe[] {
  return [
    {
      runtime: 'curl',
      library: 'curl',
      present: cmd('curl', '--version'),
      ok: (nonce) => cmd('curl', '-sS', okUrl(nonce)),
      deny: () => cmd('curl', '-sS', '--fail-with-body', DENY_URL),
      routeFix: 'curl reads https_proxy: look for `noproxy` or `proxy` in ~/.curlrc, or the host in NO_PROXY',
      trustFix: 'curl reads CURL_CA_BUNDLE: look for `cacert`/`capath` in ~/.curlrc',
    },
    {
      runtime: 'wget',
      library: 'wget',
      present: cmd('wget', '--version'),
      ok: (nonce) => cmd('wget', '-q', '-O', '-', okUrl(nonce)),
      deny: () => cmd('wget', '-nv', '-O', '-', DENY_URL),
      routeFix: 'wget reads https_proxy: look for `use_proxy = off` in ~/.wgetrc or /etc/wgetrc',
      trustFix:
        'wget (GnuTLS) ignores SSL_CERT_FILE: `run` points WGETRC at a file with ca_certificate; if you set WGETRC yourself, add `ca_certificate = <tameflare ca path>` to it',
    },
    python(
      'urllib',
      'urllib.request',
      PY_URLLIB,
      'urllib reads https_proxy: check that the program does not install its own opener without ProxyHandler',
      'urllib reads SSL_CERT_FILE: check that the program passes no `context=` of its own',
    ),
    python(
      'requests',
      'requests',
      PY_REQUESTS,
      'requests reads https_proxy unless the session sets trust_env = False or proxies of its own',
      'requests reads REQUESTS_CA_BUNDLE: a `verify=` in the code overrides it',
    ),
    python(
      'httpx',
      'httpx',
      PY_HTTPX,
      'httpx reads https_proxy unless the client is made with trust_env=False',
      'httpx reads SSL_CERT_FILE unless the client is made with trust_env=False or its own `verify=`',
    ),
    python(
      'aiohttp',
      'aiohttp',
      PY_AIOHTTP,
      "TameFlare's sitecustomize (on PYTHONPATH) turns aiohttp's trust_env on: python3 -S/-I or a PYTHONPATH replaced after `run` disables it",
      "aiohttp reads SSL_CERT_FILE through Python's default context: check for an `ssl=` of its own",
    ),
    python(
      'urllib3',
      'urllib3',
      PY_URLLIB3,
      "TameFlare's sitecustomize (on PYTHONPATH) routes PoolManager: python3 -S/-I or a PYTHONPATH replaced after `run` disables it",
      'urllib3 trusts SSL_CERT_FILE through the sitecustomize: check for `ca_certs=` of its own',
    ),
    node('fetch', NODE_FETCH, NODE_PRELOAD_FIX),
    node('https', NODE_HTTPS, NODE_PRELOAD_FIX),
    node('undici', NODE_UNDICI, NODE_PRELOAD_FIX),
    node('ws', NODE_WS, NODE_PRELOAD_FIX),
    {
      runtime: 'git',
      library: 'git',
      present: cmd('git', '--version'),
      ok: (nonce) => cmd('git', 'ls-remote', `${BASE}/${nonce}.git`),
      deny: () => cmd('git', 'ls-remote', `${BASE}/deny.git`),
      routeFix:
        'git reads https_proxy, but `http.proxy` in your git config wins: `git config --get-regexp proxy`',
      trustFix:
        'git reads GIT_SSL_CAINFO, but `http.sslCAInfo` in your git config wins: `git config --get-regexp ssl`',
    },
    {
      runtime: 'java',
      library: 'HttpURLConnection',
      // Source-file mode needs the compiler module (a JDK); a bare JRE cannot run the probe.
      present: cmd('java', '--describe-module', 'jdk.compiler'),
      ok: (nonce) => cmd('java', files.java, okUrl(nonce)),
      deny: () => cmd('java', files.java, DENY_URL),
      routeFix:
        'Java reads no proxy variable: `run` sets JAVA_TOOL_OPTIONS (proxy properties and a credential relay); check that nothing replaces JAVA_TOOL_OPTIONS',
      trustFix:
        "Java reads only its trust store: `run` passes one with the JDK's roots and our CA in JAVA_TOOL_OPTIONS (javax.net.ssl.trustStore)",
    },
    {
      runtime: 'ruby',
      library: 'Net::HTTP',
      present: cmd('ruby', '--version'),
      ok: (nonce) => cmd('ruby', '-rnet/http', '-e', RUBY, okUrl(nonce)),
      deny: () => cmd('ruby', '-rnet/http', '-e', RUBY, DENY_URL),
      routeFix: 'Net::HTTP reads https_proxy unless the code passes `p_addr` = nil',
      trustFix: 'Ruby reads SSL_CERT_FILE: check for `ca_file`/`verify_mode` in the code',
    },
    {
      runtime: 'php',
      library: 'curl extension',
      present: cmd('php', '-r', 'exit(function_exists("curl_init") ? 0 : 1);'),
      ok: (nonce) => cmd('php', '-r', PHP, okUrl(nonce)),
      deny: () => cmd('php', '-r', PHP, DENY_URL),
      routeFix: 'libcurl in PHP reads https_proxy: check for CURLOPT_PROXY / CURLOPT_NOPROXY in the code',
      trustFix:
        '`run` adds an ini with curl.cainfo through PHP_INI_SCAN_DIR: check that PHP_INI_SCAN_DIR is not replaced',
    },
    {
      runtime: 'go',
      library: 'net/http',
      present: cmd('go', 'version'),
      ok: (nonce) => cmd('go', 'run', files.go, okUrl(nonce)),
      deny: () => cmd('go', 'run', files.go, DENY_URL),
      routeFix:
        'net/http reads HTTPS_PROXY only through http.ProxyFromEnvironment: a custom Transport without it goes direct (use `run --isolate`)',
      trustFix: 'Go reads SSL_CERT_FILE on Linux: check for a custom tls.Config with its own RootCAs',
    },
  ];
}
