// How `tameflare doctor` reads a runtime's two probes (src/cli/commands/doctor-probes.ts): the `/ok`
// request must bring back the nonce (then it was routed through the gateway, intercepted and the CA
// trusted: the test host's name resolves nowhere else and answers only over our TLS), and the
// `/deny` request must fail with the reason in what the client printed. A failure is told apart by
// the client's own error text: a name that does not resolve was not routed, a certificate error was
// routed but not trusted, a 407 is the agent's key.
import { DOCTOR_DENIED_ACTION, DOCTOR_DENIED_DETAIL } from '../../wire/doctor-host.js';

export interface ProbeOutput {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RuntimeVerdict {
  routed: boolean;
  intercepted: boolean;
  /** null: not known (the request failed before TLS could be judged). */
  ca_trusted: boolean | null;
  /** null: not checked (the request itself did not work). */
  denial_readable: boolean | null;
  problem?: string | undefined;
  fix?: string | undefined;
}

const RESOLVE =
  /ENOTFOUND|EAI_AGAIN|getaddrinfo|Could not resolve host|Name or service not known|Temporary failure in name resolution|UnknownHostException|no such host|unable to resolve host|Failed to resolve|nodename nor servname|Name does not resolve|No address associated/i;
const CERTIFICATE =
  /certificate|self[- ]signed|unknown ca|x509|PKIX|SSL routines|CERT_|UNABLE_TO_VERIFY|handshake failure|TLS alert|SSLError|SSL: /i;
const PROXY_AUTH = /\b407\b|Proxy Authentication Required|agent_unknown/i;
const DENIAL = new RegExp(
  `Denied by TameFlare: ${DOCTOR_DENIED_ACTION.replace('.', '\\.')}|${DOCTOR_DENIED_DETAIL.slice(0, 40)}`,
);

const KEY_FIX =
  'the gateway refused the agent key: check that the agent is active (`tameflare agent list`) and that the gateway is linked to the control plane (it learns new keys from it)';
const DENIAL_FIX =
  'this client\'s error does not show why a request was refused: read the status text or the problem+json body\'s `detail` (docs/agents.md, "When the gateway refuses")';

function firstLine(out: ProbeOutput): string {
  const text = `${out.stderr}\n${out.stdout}`.split('\n').find((l) => l.trim() !== '') ?? '';
  return text.trim().slice(0, 200) || `exit ${out.code}`;
}

export function judgeRuntime(
  ok: ProbeOutput,
  deny: ProbeOutput,
  nonce: string,
  fixes: { routeFix: string; trustFix: string },
): RuntimeVerdict {
  const okText = `${ok.stdout}\n${ok.stderr}`;
  if (ok.code !== 0 || !okText.includes(nonce)) {
    const base = { intercepted: false, denial_readable: null } as const;
    if (PROXY_AUTH.test(okText))
      return {
        ...base,
        routed: true,
        ca_trusted: null,
        problem: `agent key refused: ${firstLine(ok)}`,
        fix: KEY_FIX,
      };
    if (RESOLVE.test(okText))
      return {
        ...base,
        routed: false,
        ca_trusted: null,
        problem: `went direct, not through the gateway: ${firstLine(ok)}`,
        fix: fixes.routeFix,
      };
    if (CERTIFICATE.test(okText))
      return {
        ...base,
        routed: true,
        ca_trusted: false,
        problem: `does not trust the gateway's CA: ${firstLine(ok)}`,
        fix: fixes.trustFix,
      };
    return {
      ...base,
      routed: false,
      ca_trusted: null,
      problem: `failed: ${firstLine(ok)}`,
      fix: fixes.routeFix,
    };
  }
  const readable = deny.code !== 0 && DENIAL.test(`${deny.stdout}\n${deny.stderr}`);
  return {
    routed: true,
    intercepted: true,
    ca_trusted: true,
    denial_readable: readable,
    ...(readable ? {} : { problem: `a refusal shows as: ${firstLine(deny)}`, fix: DENIAL_FIX }),
  };
}
