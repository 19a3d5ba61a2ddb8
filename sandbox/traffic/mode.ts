// What each way of switching traffic brings to the sandbox world: the resources it seeds in the
// simulator for a site, the site's `traffic` config, and how the edge (the public URL) routes a
// request given the simulator's current state.
import type { CloudState, Zone } from '../cloud-api/state.ts';

export interface RequestFacts {
  host: string;
  path: string;
  query: string;
}

export type EdgeDecision = { redirect: string; status: number } | { origin: string } | { error: number; title: string };

/** Where the edge sends one request now. */
export type EdgeRoute = (facts: RequestFacts) => EdgeDecision;

export interface TrafficSeedContext {
  state: CloudState;
  /** The site's name, and the world's Google Cloud project (for resources named after them). */
  site: string;
  project: string;
  /** The site's zone, already made. */
  zone: Zone;
  /** Host of the sandbox's servers (what a request's Host is). */
  host: string;
  primaryUrl: string;
  standbyUrl: string;
}

/** The ids of the resources a traffic mode made for a site (world.sites[...] and the world's info). */
export interface TrafficIds {
  pageRuleId?: string;
  rulesetId?: string;
  ruleId?: string;
  recordId?: string;
  primaryContent?: string;
  standbyContent?: string;
  urlMap?: string;
}

export interface TrafficSeed {
  /** The site's `traffic` config (before schema defaults). */
  traffic: Record<string, unknown>;
  route: EdgeRoute;
  /** Resource ids to report (world.sites[...] and the world's info). */
  ids: TrafficIds;
}

export type TrafficMode = (seed: TrafficSeedContext) => TrafficSeed;

/** The edge's answer when the site's zone is gone. */
export const NO_ZONE: EdgeDecision = { error: 1001, title: 'DNS resolution error' };
