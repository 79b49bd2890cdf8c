// Configuration as code: export the live configuration as one document, and apply a document so the
// live configuration matches it (idempotent, all or nothing, with a diff; --dry-run only plans).
import type { FastifyInstance } from 'fastify';
import type { SchemaError } from '../../decide/schema-reader.js';
import { formatPath, type Issue } from '../../decide/schema-reader.js';
import type { ConfigApplyAnswer } from '../../wire/config.js';
import { actorOf } from '../accounts/account-store.js';
import { PORT_PROBE_COUNT, type PortProbe } from '../agents/agent-ports.js';
import { principalOf } from '../auth/authenticate.js';
import { gatewayPlaces } from '../gateways/gateway-places.js';
import { defaultGatewayName } from '../gateways/gateway-store.js';
import { schemaValidationError } from '../policies/policy-input.js';
import type { ConfigRouteDeps } from '../route-deps.js';
import { planAndApply } from './apply-config.js';
import type { LiveConfig } from './config-document.js';
import { configDocumentToYaml } from './config-yaml.js';
import { exportDocument, readLiveConfig } from './live-config.js';
import { type ConfigPlan, planConfig } from './plan-config.js';
import { type LineLocator, parseConfigText, parseConfigValue } from './read-config-document.js';

interface ApplyBody {
  document: string | Record<string, unknown>;
  dry_run?: boolean;
  prune?: boolean;
}

function diffOf(
  plan: ConfigPlan,
): Pick<ConfigApplyAnswer, 'create' | 'update' | 'delete' | 'kept' | 'unchanged'> {
  return {
    create: plan.create,
    update: plan.update,
    delete: plan.delete,
    kept: plan.kept,
    unchanged: plan.unchanged,
  };
}

export function registerConfigRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  app.get(
    '/config/export',
    {
      schema: {
        summary:
          'The live configuration as one document (YAML, or JSON with ?format=json); no keys or credentials',
        tags: ['config'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: { format: { type: 'string', enum: ['yaml', 'json'] } },
        },
      },
    },
    async (req, reply) => {
      const { format } = req.query as { format?: 'yaml' | 'json' };
      const doc = exportDocument(
        await readLiveConfig(db),
        await defaultGatewayName(db, deps.config.gatewayName),
      );
      if (format === 'json') return doc;
      return reply.type('application/yaml; charset=utf-8').send(configDocumentToYaml(doc));
    },
  );

  /** Plans against `live`; reference problems are a 400 naming their document path. */
  function planner(
    body: ApplyBody,
    lineOf: LineLocator,
    doc: Parameters<typeof planConfig>[0],
    defaultGateway: string,
  ) {
    return (live: LiveConfig) => {
      const plan = planConfig(doc, live, { prune: body.prune === true, defaultGateway });
      if (plan.issues.length > 0)
        throw schemaValidationError('the configuration', located(plan.issues, lineOf));
      return { plan, missing: missingCredentials(doc, live) };
    };
  }

  app.post(
    '/config/apply',
    {
      schema: {
        summary: 'Make the live configuration match a document (YAML or JSON); answers the diff',
        tags: ['config'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['document'],
          properties: {
            document: { anyOf: [{ type: 'string', maxLength: 4 * 1024 * 1024 }, { type: 'object' }] },
            dry_run: { type: 'boolean' },
            prune: { type: 'boolean' },
          },
        },
      },
    },
    async (req): Promise<ConfigApplyAnswer> => {
      const body = req.body as ApplyBody;
      const parsed =
        typeof body.document === 'string' ? parseConfigText(body.document) : parseConfigValue(body.document);
      if (!parsed.ok) throw schemaValidationError('the configuration', parsed.errors);
      const { document, lineOf } = parsed;
      const prune = body.prune === true;
      const dryRun = body.dry_run === true;
      // Agents and connectors without a gateway go to the only one there is, or the configured one.
      const defaultGateway = await defaultGatewayName(db, deps.config.gatewayName);
      const planFor = planner(body, lineOf, document, defaultGateway);
      if (dryRun) {
        const { plan: p, missing } = planFor(await readLiveConfig(db));
        return { dry_run: true, prune, ...diffOf(p), new_agent_keys: {}, credentials_missing: missing };
      }

      // Asked before the transaction: a network call must not hold the database's write lock.
      const needsPort = document.agents?.some((a) => a.port === undefined) ?? false;
      const placeOf = await gatewayPlaces(db, deps.link);
      const probes = new Map<string, PortProbe | undefined>();
      for (const name of needsPort ? new Set(document.agents?.map((a) => a.gateway ?? defaultGateway)) : []) {
        const range = placeOf(name).range;
        if (range) probes.set(name, await deps.link.to(name).availablePorts(range, PORT_PROBE_COUNT));
      }
      const actor = actorOf(principalOf(req));
      const {
        plan: p,
        missing,
        outcome,
      } = await planAndApply(db, planFor, {
        actor,
        now: deps.now(),
        defaultGateway,
        portRange: (name) => placeOf(name).range,
        probes,
        prune,
      });
      for (const id of outcome.gatewayIds) deps.changes.notify(id);

      // Credentials of removed connectors live in the gateway's vault: removed after commit, as
      // `connector remove` does, so a connector re-added under the name does not inherit them.
      const warnings: string[] = [];
      for (const c of p.connectors.remove.filter((c) => c.credential_set)) {
        try {
          await deps.link.to(c.gateway).deleteCredential(c.name);
        } catch (err) {
          warnings.push(
            `the credential of removed connector ${c.name} is still in the gateway vault: ${(err as Error).message}`,
          );
        }
      }
      return {
        dry_run: false,
        prune,
        ...diffOf(p),
        new_agent_keys: outcome.newAgentKeys,
        credentials_missing: missing,
        warnings,
      };
    },
  );
}

/** Connectors the document says have a credential that the live one lacks (or that apply creates). */
function missingCredentials(doc: Parameters<typeof planConfig>[0], live: LiveConfig): string[] {
  const set = new Set(live.connectors.filter((c) => c.credential_set).map((c) => c.name));
  return (doc.connectors ?? [])
    .filter((c) => c.credential_set === true && !set.has(c.name))
    .map((c) => c.name);
}

function located(issues: readonly Issue[], lineOf: LineLocator): SchemaError[] {
  return issues.map((i) => ({ path: formatPath(i.segments), message: i.message, line: lineOf(i.segments) }));
}
