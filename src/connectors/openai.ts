// OpenAI (api.openai.com/v1). An OpenAI-compatible endpoint elsewhere works with `--base-url`
// (its path replaces `/v1` as the API root).
import { apiConnector } from './api-connector.js';
import { OPENAI_ROUTES } from './openai-routes.js';

export const openaiConnector = apiConnector({
  type: 'openai',
  title: 'OpenAI',
  domains: ['api.openai.com'],
  auth: 'bearer',
  credentialHeaders: ['authorization', 'api-key'],
  // Vision and file-in-message requests carry base64 images; larger bodies are refused (413).
  maxBodyBytes: 16 * 1024 * 1024,
  rootPath: '/v1',
  routes: OPENAI_ROUTES,
  bodyFormat: 'json',
  coerce: {
    n: 'number',
    max_tokens: 'number',
    max_completion_tokens: 'number',
    max_output_tokens: 'number',
    stream: 'boolean',
  },
  docs: {
    parameters: [
      'model, stream, max_tokens, max_completion_tokens, max_output_tokens, n: from JSON bodies of generation calls',
      'ids from the path (file_id, batch_id, job_id, model, vector_store_id, assistant_id, thread_id, run_id...)',
    ],
    notes: [
      'Multipart uploads (files, audio, image edits) are not read: the path alone decides.',
      "A JSON body that cannot be read gives the path's action with `body_error` (invalid_json, truncated, unsupported_encoding).",
    ],
  },
});
