// Secrets never leave the process: every registered credential, and anything shaped like a bearer
// token or API key, is masked in the messages that leave an activity or reach a log.

const secrets = new Set<string>();

/** Registers a credential so that it is masked in every error message that leaves an activity. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) secrets.add(value);
}

export function redact(text: string): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join('[redacted]');
  // Bearer tokens and API keys that were never registered still get masked.
  return out
    .replace(/(Bearer\s+)[\w.\-~+/]+=*/gi, '$1[redacted]')
    .replace(/(api[_-]?key|token)=([^&\s"']+)/gi, '$1=[redacted]');
}
