// The built-in connector types, as a static list (no directory scanning: a bundled executable has
// no folder to scan). Adding a connector means adding it here.
import { anthropicConnector } from './anthropic.js';
import { genericConnector } from './generic.js';
import { githubConnector } from './github.js';
import { mcpConnector } from './mcp.js';
import { openaiConnector } from './openai.js';
import { slackConnector } from './slack.js';
import { stripeConnector } from './stripe.js';
import type { ConnectorType } from './types.js';
import { webhookConnector } from './webhook.js';

export const CONNECTOR_TYPES: readonly ConnectorType[] = Object.freeze([
  genericConnector,
  githubConnector,
  openaiConnector,
  anthropicConnector,
  stripeConnector,
  slackConnector,
  mcpConnector,
  webhookConnector,
]);

const BY_TYPE: ReadonlyMap<string, ConnectorType> = new Map(CONNECTOR_TYPES.map((c) => [c.type, c]));

export function getConnectorType(type: string): ConnectorType | undefined {
  return BY_TYPE.get(type);
}
