// /v1/audit: read the ledger (filters, cursor paging), verify its chain, export it. Nothing here
// changes the ledger: no API updates or deletes an event (SPEC 5.3; retention is the maintenance job).
import type { KeyObject } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { verifyChain } from '../../audit/verify-chain.js';
import type { LocalDatabase } from '../../storage/local-schema.js';
import type { AuditPage, AuditVerification } from '../../wire/audit.js';
import { NAME_PATTERN } from '../route-deps.js';
import { type ExportFormat, eventView, exportLines } from './audit-export.js';
import { type AuditFilter, type AuditPageQuery, auditEventsInOrder, auditPage } from './audit-store.js';

export interface AuditRouteDeps {
  db: Kysely<LocalDatabase>;
  /** Every public key that ever signed a retention anchor (the current one first). */
  publicKeys: () => Promise<KeyObject[]>;
  now: () => Date;
}

const filterProperties = {
  type: {
    type: 'string',
    maxLength: 500,
    pattern: '^[a-z0-9_]+(\\.[a-z0-9_*]+)*(,[a-z0-9_]+(\\.[a-z0-9_*]+)*)*$',
    description: 'event types, comma-separated; `action.*` matches a family',
  },
  actor: {
    type: 'string',
    minLength: 1,
    maxLength: 300,
    description: 'e.g. user:ann@example.org, token:ci, agent:bot',
  },
  agent: { type: 'string', pattern: NAME_PATTERN, description: 'events by or about this agent' },
  since: { type: 'string', maxLength: 40, description: 'ISO-8601 time or date, inclusive' },
  until: { type: 'string', maxLength: 40, description: 'ISO-8601 time or date, exclusive' },
} as const;

export function registerAuditRoutes(app: FastifyInstance, deps: AuditRouteDeps): void {
  app.get(
    '/audit',
    {
      schema: {
        summary: 'Audit events, newest first by default, with filters and cursor paging',
        tags: ['audit'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterProperties,
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
            order: { type: 'string', enum: ['desc', 'asc'], default: 'desc' },
            cursor: { type: 'string', maxLength: 100, description: 'next_cursor of the previous page' },
          },
        },
      },
    },
    async (req): Promise<AuditPage> => {
      const page = await auditPage(deps.db, req.query as AuditPageQuery);
      return { events: page.events.map(eventView), next_cursor: page.next_cursor };
    },
  );

  app.get(
    '/audit/verify',
    {
      schema: {
        summary:
          'Walk the hash chain and name the first event that was altered, deleted, inserted or reordered',
        tags: ['audit'],
      },
    },
    async (): Promise<AuditVerification> => {
      const v = await verifyChain(deps.db, await deps.publicKeys());
      return {
        ok: v.ok,
        checked: v.checked,
        anchor: v.anchor,
        head: v.head,
        first_bad: v.firstBad ?? null,
        verified_at: deps.now().toISOString(),
      };
    },
  );

  app.get(
    '/audit/export',
    {
      schema: {
        summary: 'Export audit events, oldest first, as JSONL or CSV (streamed)',
        tags: ['audit'],
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            ...filterProperties,
            format: { type: 'string', enum: ['jsonl', 'csv'], default: 'jsonl' },
          },
        },
      },
    },
    async (req, reply) => {
      const { format, ...filter } = req.query as AuditFilter & { format: ExportFormat };
      const stamp = deps.now().toISOString().replace(/[:.]/g, '-');
      // Read the first page before answering, so a bad filter is still a clean 400 and not a cut stream.
      const events = auditEventsInOrder(deps.db, filter);
      const first = await events.next();
      async function* all() {
        if (!first.done) yield first.value;
        yield* events;
      }
      return reply
        .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
        .header('content-disposition', `attachment; filename="tameflare-audit-${stamp}.${format}"`)
        .header('cache-control', 'no-store')
        .send(Readable.from(exportLines(all(), format)));
    },
  );
}
