// Anthropic (api.anthropic.com/v1). The credential travels in `x-api-key`; `anthropic-version`
// and `anthropic-beta` are not credentials and pass through untouched.
import { apiConnector } from './api-connector.js';
import type { FieldSpec, RouteDef } from './route-table.js';

const GEN: readonly FieldSpec[] = ['model', 'stream', 'max_tokens'];
const BATCH = '/messages/batches/{batch_id}';

// biome-ignore format: one route per line reads as a table
export const ANTHROPIC_ROUTES: readonly RouteDef[] = [
  { method: 'POST', path: '/messages', action: 'anthropic.message.create', risk: 'low', description: 'Create a message.', fields: GEN },
  { method: 'POST', path: '/messages/count_tokens', action: 'anthropic.message.count_tokens', risk: 'low', description: 'Count tokens of a message.', fields: ['model'] },
  { method: 'POST', path: '/complete', action: 'anthropic.completion.create', risk: 'low', description: 'Legacy text completion.', fields: ['model', 'stream', ['max_tokens_to_sample', 'max_tokens']] },
  { method: 'POST', path: '/messages/batches', action: 'anthropic.message_batch.create', risk: 'medium', description: 'Create a message batch.' },
  { method: 'GET', path: '/messages/batches', action: 'anthropic.message_batch.list', risk: 'low', description: 'List message batches.' },
  { method: 'GET', path: BATCH, action: 'anthropic.message_batch.get', risk: 'low', description: 'Get a message batch.' },
  { method: 'GET', path: `${BATCH}/results`, action: 'anthropic.message_batch.results', risk: 'low', description: 'Download batch results.' },
  { method: 'POST', path: `${BATCH}/cancel`, action: 'anthropic.message_batch.cancel', risk: 'medium', description: 'Cancel a message batch.' },
  { method: 'DELETE', path: BATCH, action: 'anthropic.message_batch.delete', risk: 'medium', description: 'Delete a message batch.' },
  { method: 'GET', path: '/models', action: 'anthropic.model.list', risk: 'low', description: 'List models.' },
  { method: 'GET', path: '/models/{model_id}', action: 'anthropic.model.get', risk: 'low', description: 'Get a model.' },
  { method: 'POST', path: '/files', action: 'anthropic.file.upload', risk: 'medium', description: 'Upload a file (multipart, not read).' },
  { method: 'GET', path: '/files', action: 'anthropic.file.list', risk: 'low', description: 'List files.' },
  { method: 'GET', path: '/files/{file_id}', action: 'anthropic.file.get', risk: 'low', description: 'Get file metadata.' },
  { method: 'GET', path: '/files/{file_id}/content', action: 'anthropic.file.content', risk: 'low', description: 'Download a file.' },
  { method: 'DELETE', path: '/files/{file_id}', action: 'anthropic.file.delete', risk: 'medium', description: 'Delete a file.' },
];

export const anthropicConnector = apiConnector({
  type: 'anthropic',
  title: 'Anthropic',
  domains: ['api.anthropic.com'],
  auth: 'header:x-api-key',
  credentialHeaders: ['x-api-key', 'authorization'],
  maxBodyBytes: 16 * 1024 * 1024,
  rootPath: '/v1',
  routes: ANTHROPIC_ROUTES,
  bodyFormat: 'json',
  coerce: { max_tokens: 'number', stream: 'boolean' },
  docs: {
    parameters: [
      'model, stream, max_tokens: from JSON bodies (the legacy `max_tokens_to_sample` is reported as max_tokens)',
      'batch_id, file_id, model_id: from the path',
    ],
    notes: [
      'The SDKs send the key in `x-api-key`; `authorization` is stripped too, so a dummy in either place never reaches Anthropic.',
      '`anthropic-version` and `anthropic-beta` pass through unchanged.',
    ],
  },
});
