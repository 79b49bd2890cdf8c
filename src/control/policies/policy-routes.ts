// Policies (SPEC 6): documents validated by src/decide, stored with a version per change, and sent
// to every gateway (policies are not per gateway) by bumping every configuration version.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../errors/codes.js';
import type {
  PolicyAnswer,
  PolicyDeleted,
  PolicyList,
  PolicyRollbackAnswer,
  PolicySaveAnswer,
  PolicySummary,
  PolicyToggleAnswer,
  PolicyVersions,
  PolicyView,
} from '../../wire/policies.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import type { ConfigRouteDeps } from '../route-deps.js';
import { type PolicyBody, readPolicyBody } from './policy-input.js';
import {
  changePolicies,
  currentPolicyVersion,
  deletePolicy,
  listPolicies,
  type PolicyRecord,
  policyHistory,
  requirePolicy,
  rollbackPolicy,
  savePolicy,
  setPolicyEnabled,
} from './policy-store.js';

/** Policy names as the document schema allows them (src/decide/schema-reader.ts). */
export const POLICY_NAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: POLICY_NAME_PATTERN } },
  required: ['name'],
} as const;

export function policySummary(p: PolicyRecord): PolicySummary {
  return {
    name: p.name,
    version: p.version,
    enabled: p.enabled,
    priority: p.document.priority,
    mode: p.document.mode,
    description: p.document.description ?? null,
    rules: p.document.rules.length,
    updated_at: p.updated_at,
  };
}

function policyView(p: PolicyRecord): PolicyView {
  return { ...policySummary(p), document: p.document };
}

export function registerPolicyRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  /** Runs a change; when it changed something, every gateway gets a new snapshot after commit. */
  async function change<T extends { changed: boolean }>(
    work: Parameters<typeof changePolicies<T>>[1],
    actor: string,
  ): Promise<T> {
    const { result, gatewayIds } = await changePolicies(db, work, { actor, now: deps.now() });
    for (const id of gatewayIds) deps.changes.notify(id);
    return result;
  }

  app.post(
    '/policies',
    {
      schema: {
        summary: 'Create or update policies from a document (JSON) or YAML text (one or more documents)',
        tags: ['policies'],
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            document: { type: 'object' },
            yaml: { type: 'string', maxLength: 512 * 1024 },
          },
        },
      },
    },
    async (req, reply) => {
      const docs = readPolicyBody(req.body as PolicyBody);
      const actor = actorOf(principalOf(req));
      const { outcomes } = await change(async (trx, ctx) => {
        const outcomes = [];
        for (const doc of docs) outcomes.push(await savePolicy(trx, doc, ctx));
        return { outcomes, changed: outcomes.some((o) => o.change !== 'unchanged') };
      }, actor);
      const results = outcomes.map((o) => ({
        name: o.record.name,
        change: o.change,
        version: o.record.version,
        message:
          o.change === 'unchanged'
            ? `unchanged: identical to the current version ${o.record.version}`
            : `${o.change} as version ${o.record.version}`,
        policy: policyView(o.record),
      }));
      return reply
        .status(outcomes.some((o) => o.change === 'created') ? 201 : 200)
        .send({ results } satisfies PolicySaveAnswer);
    },
  );

  app.get(
    '/policies',
    { schema: { summary: 'List policies', tags: ['policies'] } },
    async (): Promise<PolicyList> => ({
      policies: (await listPolicies(db)).map(policySummary),
    }),
  );

  app.get(
    '/policies/:name',
    { schema: { summary: 'Show a policy and its current document', tags: ['policies'], params: nameParams } },
    async (req): Promise<PolicyAnswer> => ({
      policy: policyView(await requirePolicy(db, (req.params as { name: string }).name)),
    }),
  );

  app.delete(
    '/policies/:name',
    {
      schema: { summary: 'Delete a policy (its history is kept)', tags: ['policies'], params: nameParams },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const { version } = await change(
        async (trx, ctx) => ({ version: await deletePolicy(trx, name, ctx), changed: true }),
        actorOf(principalOf(req)),
      );
      return { deleted: true, name, version } satisfies PolicyDeleted;
    },
  );

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    app.post(
      `/policies/:name/${verb}`,
      {
        schema: { summary: `${verb} a policy`, tags: ['policies'], params: nameParams },
      },
      async (req): Promise<PolicyToggleAnswer> => {
        const name = (req.params as { name: string }).name;
        const r = await change(
          (trx, ctx) => setPolicyEnabled(trx, name, enabled, ctx),
          actorOf(principalOf(req)),
        );
        const state = enabled ? 'enabled' : 'disabled';
        return {
          changed: r.changed,
          message: r.changed ? `${state} as version ${r.record.version}` : `unchanged: already ${state}`,
          policy: policyView(r.record),
        };
      },
    );
  }

  app.get(
    '/policies/:name/versions',
    { schema: { summary: "A policy's versions, newest first", tags: ['policies'], params: nameParams } },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const versions = await policyHistory(db, name);
      if (versions.length === 0) throw new AppError('not_found', `no policy named ${name} (and no history)`);
      return {
        name,
        current_version: await currentPolicyVersion(db, name),
        versions,
      } satisfies PolicyVersions;
    },
  );

  app.post(
    '/policies/:name/rollback',
    {
      schema: {
        summary: "Make an earlier version's document current again (as a new version)",
        tags: ['policies'],
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['version'],
          properties: { version: { type: 'integer', minimum: 1 } },
        },
      },
    },
    async (req): Promise<PolicyRollbackAnswer> => {
      const name = (req.params as { name: string }).name;
      const { version } = req.body as { version: number };
      const r = await change(
        (trx, ctx) => rollbackPolicy(trx, name, version, ctx),
        actorOf(principalOf(req)),
      );
      return {
        changed: r.changed,
        rolled_back_to: version,
        message: r.changed
          ? `version ${version} restored as version ${r.record.version}`
          : `unchanged: the current document already equals version ${version}`,
        policy: policyView(r.record),
      };
    },
  );
}
