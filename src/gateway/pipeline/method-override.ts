// Method overrides carried in the query or a form body: `_method=DELETE` on a POST is run as a DELETE
// by Rails (Rack::MethodOverride), Laravel, Symfony (with http_method_override) and Express's
// method-override configured for it.
// Threat model: the agent decides what it sends, and the gateway decides on the request line's method.
// An agent allowed `http.post` but not `http.delete` on such an upstream could delete with
// `POST /items/5?_method=DELETE`. Unlike the override headers (stripped, see forward-headers.ts), a
// query or body cannot be rewritten without changing what was asked (and a body's signature), so a
// request whose override names another method is refused. An override naming the request's own method
// changes nothing and passes.

/** The parameter the frameworks read (Rails, Laravel, Symfony, Express's `methodOverride('_method')`). */
export const METHOD_OVERRIDE_PARAM = '_method';

const FORM_URLENCODED = 'application/x-www-form-urlencoded';
const MULTIPART = 'multipart/form-data';

/** Whether this request's body must be read to look for an override: a POST form (what the frameworks honour). */
export function formMayOverride(method: string, contentType: string | undefined): boolean {
  if (method !== 'POST' || contentType === undefined) return false;
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  return type === FORM_URLENCODED || type === MULTIPART;
}

/**
 * For a POST, the first override naming another method, from the query or a form body; undefined
 * when there is none. Values are compared case-insensitively, as the frameworks do.
 */
export function foreignMethodOverride(
  method: string,
  query: URLSearchParams,
  contentType: string | undefined,
  body: Buffer | undefined,
): string | undefined {
  if (method !== 'POST') return undefined; // every framework above honours it on a POST only
  const values = query.getAll(METHOD_OVERRIDE_PARAM);
  if (body !== undefined && formMayOverride(method, contentType))
    values.push(...formValues(contentType!, body));
  return values.find((v) => v.trim().toUpperCase() !== method);
}

function formValues(contentType: string, body: Buffer): string[] {
  const type = contentType.split(';', 1)[0]!.trim().toLowerCase();
  if (type === FORM_URLENCODED)
    return new URLSearchParams(body.toString('latin1')).getAll(METHOD_OVERRIDE_PARAM);
  return multipartValues(body.toString('latin1'));
}

// A part named `_method`: its Content-Disposition names it; its value runs to the next CRLF (the
// frameworks read the whole value, but any value other than the request's method is refused anyway, so
// a value that does not end at a line still differs from a method name and is caught).
const PART_NAME =
  /content-disposition:[^\r\n]*;\s*name\s*=\s*(?:"_method"|_method(?=[\s;\r\n]))[^\r\n]*\r?\n/gi;

function multipartValues(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(PART_NAME)) {
    const headersEnd = text.indexOf('\r\n\r\n', m.index);
    const start = headersEnd < 0 ? text.length : headersEnd + 4;
    const end = text.indexOf('\r\n', start);
    out.push(text.slice(start, end < 0 ? text.length : end));
  }
  return out;
}
