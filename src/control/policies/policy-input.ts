// Turns an API body ({document} or {yaml}) into validated policy documents, or a 400 problem whose
// `errors` member lists every problem with its exact path (and line, for YAML). The message carries
// them too, in one line, so a CLI that prints only the message still shows where the problem is.
import { parsePolicyDocument, parsePolicyYamlAll, type SchemaError } from '../../decide/policy-schema.js';
import type { PolicyDocument } from '../../decide/policy-types.js';
import { AppError } from '../../errors/codes.js';

const ERRORS_IN_MESSAGE = 5;

export interface PolicyBody {
  document?: unknown;
  yaml?: string;
}

export function describeSchemaError(e: SchemaError): string {
  const where = e.path === '' ? '(document)' : e.path;
  return `${e.line === undefined ? '' : `line ${e.line}, `}${where}: ${e.message}`;
}

export function schemaValidationError(what: string, errors: readonly SchemaError[]): AppError {
  const shown = errors.slice(0, ERRORS_IN_MESSAGE).map(describeSchemaError).join('; ');
  const more = errors.length > ERRORS_IN_MESSAGE ? ` (and ${errors.length - ERRORS_IN_MESSAGE} more)` : '';
  return new AppError('validation_failed', `${what} is invalid: ${shown}${more}`, { errors });
}

/** One document from `document`, or every `---` document of `yaml` (names unique across them). */
export function readPolicyBody(body: PolicyBody): PolicyDocument[] {
  const hasDoc = body.document !== undefined;
  const hasYaml = body.yaml !== undefined;
  if (hasDoc === hasYaml) {
    throw new AppError('validation_failed', 'send exactly one of document (a JSON object) or yaml (text)');
  }
  if (hasDoc) {
    const r = parsePolicyDocument(body.document);
    if (!r.ok) throw schemaValidationError('the policy', r.errors);
    return [r.policy];
  }
  const r = parsePolicyYamlAll(body.yaml ?? '');
  if (!r.ok) throw schemaValidationError('the policy', r.errors);
  return r.policies;
}
