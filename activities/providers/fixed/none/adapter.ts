// No monitor to pause: every position is already reached.
import type { Monitor } from '../../types.ts';

export function noMonitor(site: string): Monitor {
  const before = { monitor: 'none' };
  return {
    resource: `no monitor for ${site}`,
    read: async () => before,
    isAt: () => true,
    set: async () => ({ changed: false, before, summary: 'no monitor configured' }),
    restore: async () => ({ changed: false, before, summary: 'no monitor configured' }),
  };
}
