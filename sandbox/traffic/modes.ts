// Every way the sandbox world can switch a site's traffic, one line each: a new traffic lever
// is its file and one line here.
import { dnsMode } from './dns.ts';
import { loadBalancerMode } from './load-balancer.ts';
import type { TrafficMode } from './mode.ts';
import { pageRuleMode } from './page-rule.ts';
import { redirectRuleMode } from './redirect-rule.ts';

export const TRAFFIC_MODES = {
  'page-rule': pageRuleMode,
  'redirect-rule': redirectRuleMode,
  dns: dnsMode,
  'load-balancer': loadBalancerMode,
} as const satisfies Record<string, TrafficMode>;

export type TrafficModeName = keyof typeof TRAFFIC_MODES;
