// A Slack incoming webhook, in Block Kit: the site and its new state as the header, the timings
// and the cause as fields, a button to the incident in the Temporal UI, the event ID in context.
import type { NotificationChannel, NotificationMessage } from './channel.ts';
import { postJson } from './post.ts';

export function slackChannel(name: string, url: string): NotificationChannel {
  return {
    type: 'slack',
    send: (message, signal) => postJson(`slack "${name}"`, url, slackPayload(message), {}, signal),
  };
}

const words = (s: string) => s.replaceAll('_', ' ');
const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 2 * 3_600_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}

/** The Block Kit message (https://api.slack.com/block-kit); `text` is the notification's fallback. */
export function slackPayload(m: NotificationMessage): Record<string, unknown> {
  const title = cut(`${m.site}: ${words(m.state)}`, 150);
  const fields = [`*${m.kind === 'phase' ? 'Phase' : 'Readiness'}*\n${words(m.state)}`];
  if (m.previous)
    fields.push(
      `*Previous*\n${words(m.previous)}${m.timings.previousMs !== undefined ? ` (${duration(m.timings.previousMs)})` : ''}`,
    );
  if (m.timings.failoverMs !== undefined) fields.push(`*Failover took*\n${duration(m.timings.failoverMs)}`);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
  ];
  if (m.cause) blocks.push({ type: 'section', text: { type: 'mrkdwn', text: cut(`*Cause*\n${m.cause}`, 3000) } });
  if (m.link)
    blocks.push({
      type: 'actions',
      elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in Temporal' }, url: m.link }],
    });
  blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `${m.at} · event \`${m.id}\`` }] });
  return { text: `${title}${m.cause ? ` (${cut(m.cause, 200)})` : ''}`, blocks };
}
