// Options for the @google-cloud/* clients: the real endpoint with Application Default Credentials,
// or a local simulator over plain http without any credential.

export interface GoogleEndpoint {
  /** Host name of the API endpoint; omitted: the real one (run.googleapis.com, monitoring.googleapis.com). */
  apiEndpoint?: string;
  port?: number;
  protocol?: 'http' | 'https';
}

// A type alias, not an interface: the SDKs' ClientOptions has an index signature.
export type GoogleClientOptions = {
  fallback: true;
  apiEndpoint?: string;
  port?: number;
  protocol?: 'http' | 'https';
  apiKey?: string;
};

/** Options for a @google-cloud/* client: always the REST transport (what the tests exercise). */
export function googleClientOptions(endpoint: GoogleEndpoint = {}): GoogleClientOptions {
  const options: GoogleClientOptions = { fallback: true };
  if (endpoint.apiEndpoint) options.apiEndpoint = endpoint.apiEndpoint;
  if (endpoint.port) options.port = endpoint.port;
  if (endpoint.protocol) options.protocol = endpoint.protocol;
  // A plain-http endpoint is a local simulator: send a placeholder API key instead of looking
  // for Application Default Credentials (there are none, and real ones must never go there).
  if (endpoint.protocol === 'http') options.apiKey = 'sandbox-no-credential';
  return options;
}

/** gax call options: one attempt with a deadline; Temporal owns the retries (and shows them). */
export function callOptions(timeoutMs: number): { timeout: number; retry: null } {
  return { timeout: timeoutMs, retry: null };
}
