// Levers for sites that need no change on one side: a standby public all the time, or no monitor.
import type { Lever } from './types.ts';

/** For standbys kept public all the time: opening is a no-op, closing is never done. */
export function alwaysOpen(resource: string): Lever<'open' | 'closed'> {
  const before = { access: 'always-open' };
  return {
    resource,
    read: async () => before,
    isAt: (position) => position === 'open',
    set: async (position) => ({
      changed: false,
      before,
      summary: `${resource} is always open; ${position} is not applied`,
    }),
    restore: async () => ({ changed: false, before, summary: `${resource} is always open; nothing to restore` }),
  };
}

export function noMonitor(site: string): Lever<'paused' | 'enabled'> {
  const before = { monitor: 'none' };
  return {
    resource: `no monitor for ${site}`,
    read: async () => before,
    isAt: () => true,
    set: async () => ({ changed: false, before, summary: 'no monitor configured' }),
    restore: async () => ({ changed: false, before, summary: 'no monitor configured' }),
  };
}
