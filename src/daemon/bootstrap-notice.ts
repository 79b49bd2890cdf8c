// The few lines that tell an operator what the first start created (shown by `init` and `serve`).
// Apart from bootstrap.ts so that printing them loads no database or crypto code.
import type { BootstrapResult } from './bootstrap.js';

/** The notice, surrounded by blank lines; '' when no owner was created. */
export function bootstrapNotice(b: BootstrapResult): string {
  if (!b.owner) return '';
  const lines = [`Owner account created: ${b.owner.email}`];
  if (b.owner.generatedPassword) {
    lines.push(`Password (shown once, store it now): ${b.owner.generatedPassword}`);
  }
  if (b.cliTokenCreated) lines.push('CLI token written to cli.token in the data directory.');
  return `\n${lines.map((l) => `  ${l}`).join('\n')}\n\n`;
}
