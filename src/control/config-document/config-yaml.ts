// The exported document as YAML: stable key order (as built), no line folding (a long regex or
// reason stays on one line, so diffs in git stay readable), and a header saying what is left out.
import { stringify } from 'yaml';
import type { ConfigDocument } from './config-document.js';

const HEADER = [
  '# TameFlare configuration, from `tameflare config export`.',
  '# Apply with `tameflare config apply -f FILE [--dry-run] [--prune]`.',
  '# Not included: agent keys, connector credentials, the kill switch, users and API tokens.',
].join('\n');

export function configDocumentToYaml(doc: ConfigDocument): string {
  return `${HEADER}\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}
