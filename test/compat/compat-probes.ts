// Runs the probes of one compatibility suite: one vitest test per matrix row of that suite, each
// asserting the row's result against the shared world (compat-world.ts). A row without a probe, or a
// probe without a row, fails the suite: the matrix in docs/agents.md cannot drift from the tests.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import type { CliRun } from '../cli/cli-harness.js';
import { type MatrixRow, rowsOf } from './compat-matrix.js';
import { type CompatWorld, DUMMY, type RoutedCheck, startCompatWorld } from './compat-world.js';

export const CLIENTS_DIR = fileURLToPath(new URL('./clients/', import.meta.url));

export interface Probe {
  /** The command to run under `tameflare run` (or the whole probe, for what is not one command). */
  run(world: CompatWorld, ctx: TestContext): Promise<CliRun>;
  /** For `routed` rows: what must have reached the upstream. */
  routed?: RoutedCheck | RoutedCheck[];
  /** For `refused` rows: what the client's error must say. */
  refusal?: RegExp;
  /** Checked on the client's stdout for a routed row (the client really got the answer). */
  stdout?: RegExp;
  /** For rows with a `denial`: the client refused by the gateway, and what its error must say. */
  denied?: { run(world: CompatWorld, ctx: TestContext): Promise<CliRun>; shows: RegExp };
}

export const repoCheck = (query: string): RoutedCheck => ({
  connector: 'github',
  host: 'api.github.com',
  path: `/repos/octo/hello?via=${query}`,
  action: 'github.repo.get',
});

/** Runs under `tameflare run` with the dummy credential in COMPAT_DUMMY. */
export function underRun(world: CompatWorld, args: string[]): Promise<CliRun> {
  return world.run(args, { env: { COMPAT_DUMMY: DUMMY } });
}

export function describeSuite(suite: MatrixRow['suite'], probes: Record<string, Probe>): void {
  const rows = rowsOf(suite);
  let world: CompatWorld;

  beforeAll(async () => {
    world = await startCompatWorld();
  }, 60_000);
  afterAll(async () => {
    await world?.close();
  });

  describe(`${suite} clients under tameflare run`, () => {
    it('has a probe for every matrix row of this suite, and no other', () => {
      expect(Object.keys(probes).sort()).toEqual(rows.map((r) => r.id).sort());
      const withDenial = rows.filter((r) => r.denial !== undefined).map((r) => r.id);
      const denialProbes = Object.keys(probes).filter((id) => probes[id]!.denied !== undefined);
      expect(denialProbes.sort()).toEqual(withDenial.sort());
    });

    for (const row of rows) {
      const probe = probes[row.id];
      it(`${row.runtime}: ${row.client} is ${row.result}`, async (ctx) => {
        expect(probe, `no probe for ${row.id}`).toBeDefined();
        const result = await probe!.run(world, ctx);
        const output = `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
        if (row.result === 'routed') {
          expect(result.code, output).toBe(0);
          if (probe!.stdout) expect(result.stdout, output).toMatch(probe!.stdout);
          const checks = Array.isArray(probe!.routed) ? probe!.routed : [probe!.routed!];
          for (const check of checks) await world.expectRouted(check);
        } else if (row.result === 'refused') {
          expect(result.code, output).not.toBe(0);
          expect(result.stderr, output).toMatch(probe!.refusal!);
        } else {
          throw new Error(`a ${row.result} row has no probe`);
        }
      });

      if (row.denial === undefined) continue;
      it(`${row.runtime}: ${row.client} shows why a request was denied`, async (ctx) => {
        const denied = probe!.denied!;
        const result = await denied.run(world, ctx);
        const output = `exit ${result.code}\nstdout:\n${result.stdout}\nstderr:\n${result.stderr}`;
        expect(result.code, output).not.toBe(0);
        expect(`${result.stdout}\n${result.stderr}`, output).toMatch(denied.shows);
      });
    }
  });
}
