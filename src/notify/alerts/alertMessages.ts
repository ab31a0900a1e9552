import type { AlertCondition, RunSummary } from './evaluateAlerts.js';

export type AlertEvent = { kind: 'alert'; condition: AlertCondition } | { kind: 'resolved'; key: string; title: string };

const COLORS = { failure: 0xe01e5a, warning: 0xf2a33a, resolved: 0x2eb67d } as const;
const RESULT_CHARS = 900;

/**
 * What the receivers accept: Slack refuses a message whose section text is over 3000 characters (header: 150), and
 * Discord an embed over 4096 in its description, 256 in its title, 1024 in a field, or 6000 in all.
 */
const SLACK = { section: 3000, header: 150 } as const;
const DISCORD = { title: 256, description: 4096, field: 1024, embed: 6000 } as const;

/** At most max characters, the last an ellipsis when cut; never half an escape (`&amp;`) or half a surrogate pair. */
function fit(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max - 1).replace(/&[a-z]*$/, '').replace(/[\ud800-\udbff]$/, '');
  return `${cut}…`;
}

/**
 * Slack mrkdwn reads `<…>` as a link or a mention (`<!channel>` pings everyone) and `&` as the start of an escape;
 * Slack's own escaping of these three keeps an error text from pinging or formatting.
 */
const slackText = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function resultsText(run: RunSummary): string {
  return fit(JSON.stringify(run.summary, null, 1), RESULT_CHARS);
}

function heading(event: AlertEvent): string {
  if (event.kind === 'resolved') return `✅ Resolved: ${event.title}`;
  return `${event.condition.severity === 'failure' ? '🚨' : '⚠️'} ${event.condition.title}`;
}

const detailOf = (event: AlertEvent): string => (event.kind === 'alert' ? event.condition.detail : 'The condition no longer holds.');

function facts(run: RunSummary): [string, string][] {
  return [
    ['Job', run.jobName],
    ['Status', run.status],
    ['Execution', run.executionId],
    ['Duration', `${(run.durationMs / 1000).toFixed(1)} s`],
  ];
}

/** A Slack incoming-webhook body in Block Kit, with a plain `text` fallback for notifications. */
export function slackMessage(event: AlertEvent, run: RunSummary): Record<string, unknown> {
  const section = (label: string, text: string) => ({ type: 'section', text: { type: 'mrkdwn', text: `${label}${fit(slackText(text), SLACK.section - label.length)}` } });
  const results = `*Results:*\n\`\`\`${fit(slackText(resultsText(run)), SLACK.section - 20)}\`\`\``;
  return {
    text: fit(slackText(`${heading(event)}: ${detailOf(event)}`), SLACK.section),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: fit(heading(event), SLACK.header) } },
      section('', detailOf(event)),
      { type: 'section', fields: facts(run).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}:*\n${slackText(v)}` })) },
      { type: 'section', text: { type: 'mrkdwn', text: results } },
      ...(run.errorMessage ? [section('*Error:*\n', run.errorMessage)] : []),
    ],
  };
}

/** A Discord webhook body with one embed: red for failures, orange for warnings, green when resolved; it never pings. */
export function discordMessage(event: AlertEvent, run: RunSummary): Record<string, unknown> {
  const color = event.kind === 'resolved' ? COLORS.resolved : COLORS[event.condition.severity];
  const title = fit(heading(event), DISCORD.title);
  const fields = [
    ...facts(run).map(([name, value]) => ({ name, value, inline: true })),
    { name: 'Results', value: `\`\`\`${resultsText(run)}\`\`\``, inline: false },
    ...(run.errorMessage ? [{ name: 'Error', value: fit(run.errorMessage, DISCORD.field), inline: false }] : []),
  ];
  const used = title.length + fields.reduce((sum, f) => sum + f.name.length + f.value.length, 0);
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title,
        description: fit(detailOf(event), Math.min(DISCORD.description, DISCORD.embed - used)),
        color,
        fields,
        timestamp: new Date().toISOString(),
      },
    ],
  };
}
