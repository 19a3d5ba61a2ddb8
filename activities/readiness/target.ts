// What the readiness checks need to know of a site besides its adapters, as plain data built from
// the config by the worker (clients/readiness.ts): activities never read the config.

export interface VersionSource {
  /** A response header holding the deployed version, e.g. x-app-version. */
  header?: string;
  /** Or a field of a JSON body, dotted, e.g. build.version. */
  jsonField?: string;
}

export interface ReadinessTarget {
  standbyUrl: string;
  standbyMarker?: string;
  standbyExpectStatus: number;
  primaryUrl: string;
  /** The standby is configured always open: being open is its idle position. */
  standbyAlwaysOpen: boolean;
  /** Its standby or traffic is in-memory (tests, demo): its URLs are not real, so not probed. */
  inMemory: boolean;
  probeTimeoutMs: number;
  /** Where primary and standby expose their version; absent: not compared. */
  version?: VersionSource;
}

/** The last incident of a site and the previous readiness verdict, from Temporal visibility. */
export interface ReadinessHistory {
  lastIncident(site: string): Promise<{ workflowId: string; startTime: string; status: string } | undefined>;
  previousReady(site: string): Promise<boolean | undefined>;
}
