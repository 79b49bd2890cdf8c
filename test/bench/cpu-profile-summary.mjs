// Top self-time entries of a V8 CPU profile (the format `node --cpu-prof` writes and the inspector's
// Profiler.stop returns), as shares of the sampled non-idle time: what the bench prints as "top costs".
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * [{ label, share, usPerRequest }] for the `top` largest self times; labels are `function file:line`.
 * `requests` (served while the profile ran) turns each entry into µs per request.
 */
export function topSelfTime(profile, top = 10, requests = undefined) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  const { samples, timeDeltas } = profile;
  for (let i = 0; i < samples.length; i++) {
    const node = byId.get(samples[i]);
    const dt = timeDeltas[i + 1] ?? 0; // the delta after a sample is the time it stood for
    if (!node || dt <= 0) continue;
    const label = labelOf(node.callFrame);
    if (label === '(idle)') continue;
    self.set(label, (self.get(label) ?? 0) + dt);
    total += dt;
  }
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([label, us]) => ({
      label,
      share: total > 0 ? us / total : 0,
      usPerRequest: requests ? us / requests : undefined,
    }));
}

function labelOf(frame) {
  const name = frame.functionName || '(anonymous)';
  if (!frame.url) return name;
  let file = frame.url.startsWith('file://') ? fileURLToPath(frame.url) : frame.url;
  if (file.startsWith(ROOT)) file = relative(ROOT, file);
  else if (file.includes('/node_modules/')) file = file.slice(file.lastIndexOf('/node_modules/') + 14);
  return `${name} ${file}:${frame.lineNumber + 1}`;
}
