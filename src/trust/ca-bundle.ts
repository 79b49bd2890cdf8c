// SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE and GIT_SSL_CAINFO replace a client's trust store
// rather than adding to it, so the file they point at must hold the usual public roots as well as our
// CA, or every non-intercepted HTTPS call from the agent would start failing.
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/**
 * Node's bundled roots (the Mozilla store), then any `extraPem` certificates (for example the
 * operator's system bundle or `--upstream-ca`, which Node 20 cannot enumerate itself), then our CA.
 * Duplicates are dropped.
 */
export function buildCaBundle(caCertPem: string, extraPem = ''): string {
  const ours = caCertPem.match(PEM_BLOCK);
  if (ours?.length !== 1) throw new Error('CA bundle: expected exactly one PEM certificate for the CA');
  // Throws on a malformed certificate, so a broken ca.crt never produces a bundle that trusts nothing new.
  new X509Certificate(ours[0]!);
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pem of [...rootCertificates, ...(extraPem.match(PEM_BLOCK) ?? []), ours[0]!]) {
    const body = pem.replace(/-----[A-Z ]+-----|\s/g, '');
    if (seen.has(body)) continue;
    seen.add(body);
    out.push(pem.trim());
  }
  return out.join('\n') + '\n';
}
