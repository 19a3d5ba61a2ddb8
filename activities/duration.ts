// Durations as people write them in the config and on the command line: "500ms", "5s", "2m", "1h".
import { z } from 'zod';

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Milliseconds, or undefined when the text is not a duration. */
export function parseDuration(text: string): number | undefined {
  const m = DURATION.exec(text);
  return m ? Math.round(Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS]) : undefined;
}

/** "500ms", "5s", "2m", "1h", or a number of milliseconds. */
export const duration = z
  .union([z.number().int().nonnegative(), z.string().regex(DURATION, 'expected a duration like 500ms, 5s, 2m or 1h')])
  .transform((v) => (typeof v === 'number' ? v : parseDuration(v)!));
