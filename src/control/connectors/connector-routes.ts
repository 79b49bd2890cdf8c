// Connectors: metadata lives here; the credential goes straight to the gateway's vault and only
// "set" and its last four characters are kept.
import type { FastifyInstance } from 'fastify';
import { Secret } from '../../config/secret.js';
import { CONNECTOR_TYPES, getConnectorType } from '../../connectors/registry.js';
import type { AuthScheme } from '../../connectors/types.js';
import { AppError } from '../../errors/codes.js';
import type { Deleted } from '../../wire/agents.js';
import type {
  ActionCatalogue,
  ConnectorAnswer,
  ConnectorList,
  ConnectorTypeList,
  ConnectorView,
} from '../../wire/connectors.js';
import { actorOf } from '../accounts/account-store.js';
import { principalOf } from '../auth/authenticate.js';
import { randomId } from '../auth/secret-tokens.js';
import { findGateway } from '../gateways/gateway-store.js';
import { type ConfigRouteDeps, NAME_PATTERN } from '../route-deps.js';
import { AUTH_PATTERN, cleartextNotAllowed, domainProblem } from './connector-shapes.js';
import {
  type ConnectorRow,
  createConnector,
  listConnectors,
  loadConnector,
  recordCredential,
  removeConnector,
} from './connector-store.js';

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', pattern: NAME_PATTERN } },
  required: ['name'],
} as const;

function view(c: ConnectorRow, gateway: string): ConnectorView {
  return {
    name: c.name,
    type: c.type,
    gateway,
    domains: JSON.parse(c.domains) as string[],
    auth: c.auth,
    base_url: c.base_url,
    intercept: c.intercept === 1,
    allow_cleartext: c.allow_cleartext === 1,
    options: JSON.parse(c.options) as Record<string, unknown>,
    credential_set: c.credential_set === 1,
    credential_last4: c.credential_last4,
    created_at: c.created_at,
  };
}

export function registerConnectorRoutes(app: FastifyInstance, deps: ConfigRouteDeps): void {
  const { db } = deps;

  app.post(
    '/connectors',
    {
      schema: {
        summary: 'Add a connector',
        tags: ['connectors'],
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['type'],
          properties: {
            type: { type: 'string', pattern: '^[a-z0-9_]{1,32}$' },
            name: { type: 'string', pattern: NAME_PATTERN },
            domains: { type: 'array', items: { type: 'string', maxLength: 260 }, maxItems: 64 },
            auth: { type: 'string', maxLength: 80 },
            base_url: { type: 'string', maxLength: 2048 },
            intercept: { type: 'boolean' },
            allow_cleartext: { type: 'boolean' },
            options: { type: 'object' },
            gateway: { type: 'string', pattern: NAME_PATTERN },
          },
        },
      },
    },
    async (req, reply) => {
      const body = req.body as {
        type: string;
        name?: string;
        domains?: string[];
        auth?: string;
        base_url?: string;
        intercept?: boolean;
        allow_cleartext?: boolean;
        options?: Record<string, unknown>;
        gateway?: string;
      };
      const type = getConnectorType(body.type);
      if (!type) {
        throw new AppError(
          'validation_failed',
          `unknown connector type ${body.type} (known: ${CONNECTOR_TYPES.map((t) => t.type).join(', ')})`,
        );
      }
      let baseUrl: string | undefined;
      if (body.base_url !== undefined) {
        let u: URL;
        try {
          u = new URL(body.base_url);
        } catch {
          throw new AppError('validation_failed', `base_url is not a URL: ${body.base_url}`);
        }
        if (u.protocol !== 'https:' && u.protocol !== 'http:')
          throw new AppError('validation_failed', 'base_url must be http(s)');
        baseUrl = u.toString().replace(/\/+$/, '');
      }
      const domains = (body.domains ?? type.defaultDomains({ baseUrl, extra: body.options })).map((d) =>
        d.trim().toLowerCase(),
      );
      if (domains.length === 0) {
        throw new AppError(
          'validation_failed',
          `a ${type.type} connector needs --domains (it has no default domain)`,
        );
      }
      for (const d of domains) {
        const problem = domainProblem(d);
        if (problem) throw new AppError('validation_failed', problem);
      }
      const auth = (body.auth ?? type.defaultAuth) as AuthScheme;
      if (!AUTH_PATTERN.test(auth)) {
        throw new AppError(
          'validation_failed',
          `unknown auth scheme ${auth} (bearer, basic, none, header:NAME, query:NAME)`,
        );
      }
      if (body.intercept === false && type.type !== 'generic') {
        throw new AppError('validation_failed', 'only generic connectors can be added with --no-intercept');
      }
      const cleartextRefusal = body.allow_cleartext === true ? cleartextNotAllowed(type) : undefined;
      if (cleartextRefusal) throw new AppError('validation_failed', cleartextRefusal);
      const name = body.name ?? type.type;
      const actor = actorOf(principalOf(req));
      const gw = await findGateway(db, body.gateway, deps.config.gatewayName);
      const now = deps.now().toISOString();
      const row: ConnectorRow = {
        id: randomId(),
        gateway_id: gw.id,
        name,
        type: type.type,
        domains: JSON.stringify(domains),
        auth,
        base_url: baseUrl ?? null,
        intercept: body.intercept === false ? 0 : 1,
        allow_cleartext: body.allow_cleartext === true ? 1 : 0,
        options: JSON.stringify(body.options ?? {}),
        credential_set: 0,
        credential_last4: null,
        created_at: now,
        updated_at: now,
      };
      await createConnector(db, row, {
        actor,
        details: {
          type: type.type,
          domains,
          auth,
          base_url: baseUrl ?? null,
          intercept: row.intercept === 1,
          allow_cleartext: row.allow_cleartext === 1,
        },
      });
      deps.changes.notify(gw.id);
      return reply.status(201).send({ connector: view(row, gw.name) } satisfies ConnectorAnswer);
    },
  );

  app.get(
    '/connectors',
    { schema: { summary: 'List connectors', tags: ['connectors'] } },
    async (): Promise<ConnectorList> => {
      const rows = await listConnectors(db);
      return { connectors: rows.map((r) => view(r, r.gateway_name)) };
    },
  );

  app.delete(
    '/connectors/:name',
    {
      schema: { summary: 'Remove a connector', tags: ['connectors'], params: nameParams },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const actor = actorOf(principalOf(req));
      const c = await loadConnector(db, name);
      // The credential goes first: a connector re-added under this name must not inherit it.
      if (c.credential_set === 1) await deps.link.to(c.gateway_name).deleteCredential(name);
      await removeConnector(db, c, actor);
      deps.changes.notify(c.gateway_id);
      return { deleted: true } satisfies Deleted;
    },
  );

  app.put(
    '/connectors/:name/credential',
    {
      schema: {
        summary: "Set a connector's credential (relayed to the gateway vault, never stored here)",
        tags: ['connectors'],
        params: nameParams,
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['secret'],
          properties: { secret: { type: 'string', minLength: 1, maxLength: 16_384 } },
        },
      },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const secret = new Secret((req.body as { secret: string }).secret);
      const actor = actorOf(principalOf(req));
      const c = await loadConnector(db, name);
      await deps.link.to(c.gateway_name).putCredential(name, secret);
      const last4 = secret.lastFour() || null;
      await recordCredential(db, c, { last4 }, { actor, now: deps.now() });
      return {
        connector: view({ ...c, credential_set: 1, credential_last4: last4 }, c.gateway_name),
      } satisfies ConnectorAnswer;
    },
  );

  app.delete(
    '/connectors/:name/credential',
    {
      schema: { summary: "Remove a connector's credential", tags: ['connectors'], params: nameParams },
    },
    async (req) => {
      const name = (req.params as { name: string }).name;
      const actor = actorOf(principalOf(req));
      const c = await loadConnector(db, name);
      await deps.link.to(c.gateway_name).deleteCredential(name);
      await recordCredential(db, c, null, { actor, now: deps.now() });
      return {
        connector: view({ ...c, credential_set: 0, credential_last4: null }, c.gateway_name),
      } satisfies ConnectorAnswer;
    },
  );

  app.get(
    '/connector-types',
    { schema: { summary: 'Built-in connector types', tags: ['connectors'] } },
    async (): Promise<ConnectorTypeList> => ({
      types: CONNECTOR_TYPES.map((t) => ({
        type: t.type,
        title: t.title,
        default_domains: t.defaultDomains({}),
        default_auth: t.defaultAuth,
        actions: t.catalogue.length,
      })),
    }),
  );

  app.get(
    '/connector-types/:type/actions',
    {
      schema: {
        summary: "A connector type's action catalogue",
        tags: ['connectors'],
        params: {
          type: 'object',
          properties: { type: { type: 'string', maxLength: 32 } },
          required: ['type'],
        },
      },
    },
    async (req) => {
      const t = getConnectorType((req.params as { type: string }).type);
      if (!t)
        throw new AppError('not_found', `unknown connector type ${(req.params as { type: string }).type}`);
      return { type: t.type, actions: t.catalogue } satisfies ActionCatalogue;
    },
  );
}
