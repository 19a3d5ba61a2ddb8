// A standby public all the time: opening is a no-op, closing is never done.
import type { StandbyAccess } from '../../types.ts';

export function alwaysOpen(resource: string): StandbyAccess {
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
