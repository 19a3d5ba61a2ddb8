// Finds secrets in text a user might read: logs, and Temporal histories (whose payloads are base64
// JSON, decoded here first, or a token inside them would go unseen).

/** Shapes of credentials that never belong in a log or a history, whatever their value. */
const SECRET_SHAPES: Array<[string, RegExp]> = [
  ['sandbox Cloudflare token', /sandbox-(?:e2e-)?[0-9a-f]{32}/],
  ['demo Cloudflare token', /sandbox-demo-token/],
  ['bearer credential', /\bBearer\s+[A-Za-z0-9._~+/-]{16,}/],
  ['private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----|"private_key"\s*:/],
  ['Google OAuth access token', /\bya29\.[0-9A-Za-z_-]{20,}/],
  ['Google API key', /\bAIza[0-9A-Za-z_-]{35}\b/],
  ['Temporal API key assignment', /TEMPORAL_API_KEY\s*[=:]\s*\S{8,}/],
  ['Cloudflare token assignment', /CLOUDFLARE_API_TOKEN\s*[=:]\s*\S{8,}/],
];

/** The text, plus every base64 `data` field of a history decoded (payloads, failures' details). */
export function readableHistory(json: string): string {
  const decoded: string[] = [json];
  for (const m of json.matchAll(/"data"\s*:\s*"([A-Za-z0-9+/=]+)"/g))
    decoded.push(Buffer.from(m[1]!, 'base64').toString('utf8'));
  return decoded.join('\n');
}

/** What was found: the shape's name, or "known value" for one of `known` (never the secret itself). */
export function findSecrets(text: string, known: string[] = []): string[] {
  const found: string[] = [];
  for (const [name, re] of SECRET_SHAPES) if (re.test(text)) found.push(name);
  for (const k of known) if (k && text.includes(k)) found.push('known value');
  return found;
}
