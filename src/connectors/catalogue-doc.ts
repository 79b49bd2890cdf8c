// docs/connectors.md, rendered from the same catalogues the gateway maps with. A unit test fails
// when the committed file differs from this output, so the documentation cannot drift from the
// tables; `node test/gen-connector-docs.mjs > docs/connectors.md` (after a build) regenerates it.
import { CONNECTOR_TYPES } from './registry.js';
import type { ActionSpec, ConnectorType } from './types.js';

const INTRO = `# Connectors

<!-- Generated from the connector tables in src/connectors by test/gen-connector-docs.mjs.
     Do not edit by hand: run \`npm run build && node test/gen-connector-docs.mjs > docs/connectors.md\`. -->

A connector maps each request to an action \`provider.resource.verb\` with parameters and a risk
level, and says how its credential is injected. The same tables drive the gateway, the command
\`tameflare connector actions TYPE\` and this page.

## How mapping works

- **Unknown requests** map to \`<type>.http.<method>\` (\`github.http.post\`), risk low for
  GET/HEAD/OPTIONS, high for DELETE, medium otherwise. The generic connector names every request
  \`http.<method>\`, the webhook connector \`webhook.<method>\`.
- **Paths are normalised before matching**, the way upstream servers resolve them: empty segments
  and \`.\`/\`..\` (also percent-encoded) are resolved, segments are percent-decoded (a malformed
  escape is kept as typed, never an error), an encoded slash \`%2F\` separates segments like \`/\`
  (clients encode path parameters such as git refs whole), and literal segments match
  case-insensitively. A path that still has more than 64 segments is unknown.
- **Action names are always safe**: names built from request data (MCP tools and methods, Slack
  admin methods, HTTP methods) are snake_case \`[a-z0-9_]\` segments.
- **Bodies** are read only when a request's action or parameters depend on them (\`wantsBody\`),
  at most the connector's limit. A body that cannot be used gives the action the path alone
  implies plus \`body_error\`: \`truncated\` (longer than the limit: a prefix is never trusted,
  since a later repeated key would win upstream), \`invalid_json\`, \`not_an_object\`,
  \`unsupported_encoding\` (compressed), \`unsupported_content_type\`, \`missing\`, and per connector
  \`invalid_graphql\`, \`unknown_operation\`, \`invalid_jsonrpc\`, \`empty_batch\`,
  \`batch_too_large\`, \`invalid_pkt_lines\`. A repeated key counts with its last value, as the
  upstreams read it. Multipart uploads are never read.
- **Parameters** from bodies are scalars (strings at most 2,048 characters); MCP tool arguments
  keep their structure, bounded to 6 levels and 64 keys per level.
- **Risk** is the row's level below, except where noted (a force-push of a branch, a git push that
  deletes a ref, MCP tool names).
`;

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function size(bytes: number): string {
  if (bytes === 0) return 'never read';
  return bytes >= 1024 * 1024 ? `${bytes / (1024 * 1024)} MiB` : `${bytes / 1024} KiB`;
}

function domains(c: ConnectorType): string {
  const d = c.defaultDomains({});
  return d.length > 0 ? d.map((x) => `\`${x}\``).join(', ') : 'given when added';
}

function actionRow(s: ActionSpec): string {
  const params = s.params.length > 0 ? s.params.join(', ') : '';
  return `| \`${s.action}\` | ${cell(s.method)} | \`${cell(s.path)}\` | ${s.risk} | ${cell(params)} | ${cell(s.description)} |`;
}

function section(c: ConnectorType): string {
  const lines = [
    `## \`${c.type}\`: ${c.title}`,
    '',
    `- Default domains: ${domains(c)}`,
    `- Credential: \`${c.defaultAuth}\`; headers removed on injection: ${c.credentialHeaders.length > 0 ? c.credentialHeaders.map((h) => `\`${h}\``).join(', ') : 'none'}`,
    `- Bodies read up to: ${size(c.maxBodyBytes)}`,
    `- Distinct actions: ${new Set(c.catalogue.map((s) => s.action)).size}`,
    '',
  ];
  if (c.docs) {
    lines.push('Parameters:', '', ...c.docs.parameters.map((p) => `- ${p}`), '');
    if (c.docs.notes.length > 0) lines.push('Notes:', '', ...c.docs.notes.map((n) => `- ${n}`), '');
  }
  lines.push('| action | method | path | risk | params | description |', '|---|---|---|---|---|---|');
  lines.push(...c.catalogue.map(actionRow), '');
  return lines.join('\n');
}

/** The whole of docs/connectors.md. */
export function renderConnectorDocs(types: readonly ConnectorType[] = CONNECTOR_TYPES): string {
  const summary = [
    '## Summary',
    '',
    '| type | default domains | credential | actions |',
    '|---|---|---|---|',
    ...types.map(
      (c) =>
        `| [\`${c.type}\`](#${c.type}-${c.title
          .toLowerCase()
          .replace(/[^a-z0-9 -]/g, '')
          .replace(
            / /g,
            '-',
          )}) | ${domains(c)} | \`${c.defaultAuth}\` | ${new Set(c.catalogue.map((s) => s.action)).size} |`,
    ),
    '',
  ].join('\n');
  return [INTRO, summary, ...types.map(section)].join('\n');
}
