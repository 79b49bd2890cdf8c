import type { Command } from 'commander';

/** Appends an `Examples:` section to a command's help. Its own module: every command uses it. */
export function addExamples(cmd: Command, examples: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${examples.map((e) => `  $ ${e}`).join('\n')}\n`);
}
