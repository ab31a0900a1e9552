import type { AlertCondition, RunSummary } from './evaluateAlerts.js';

export type AlertEvent = { kind: 'alert'; condition: AlertCondition } | { kind: 'resolved'; key: string; title: string };

const COLORS = { failure: 0xe01e5a, warning: 0xf2a33a, resolved: 0x2eb67d } as const;
const RESULT_CHARS = 900;

function resultsText(run: RunSummary): string {
  const text = JSON.stringify(run.summary, null, 1);
  return text.length > RESULT_CHARS ? `${text.slice(0, RESULT_CHARS)}…` : text;
}

function heading(event: AlertEvent): string {
  if (event.kind === 'resolved') return `✅ Resolved: ${event.title}`;
  return `${event.condition.severity === 'failure' ? '🚨' : '⚠️'} ${event.condition.title}`;
}

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
  const detail = event.kind === 'alert' ? event.condition.detail : 'The condition no longer holds.';
  return {
    text: `${heading(event)}: ${detail}`,
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: heading(event).slice(0, 150) } },
      { type: 'section', text: { type: 'mrkdwn', text: detail } },
      { type: 'section', fields: facts(run).map(([k, v]) => ({ type: 'mrkdwn', text: `*${k}:*\n${v}` })) },
      { type: 'section', text: { type: 'mrkdwn', text: `*Results:*\n\`\`\`${resultsText(run)}\`\`\`` } },
      ...(run.errorMessage ? [{ type: 'section', text: { type: 'mrkdwn', text: `*Error:*\n${run.errorMessage.slice(0, 1000)}` } }] : []),
    ],
  };
}

/** A Discord webhook body with one embed: red for failures, orange for warnings, green when resolved. */
export function discordMessage(event: AlertEvent, run: RunSummary): Record<string, unknown> {
  const color = event.kind === 'resolved' ? COLORS.resolved : COLORS[event.condition.severity];
  return {
    embeds: [
      {
        title: heading(event).slice(0, 256),
        description: event.kind === 'alert' ? event.condition.detail : 'The condition no longer holds.',
        color,
        fields: [
          ...facts(run).map(([name, value]) => ({ name, value, inline: true })),
          { name: 'Results', value: `\`\`\`${resultsText(run)}\`\`\``, inline: false },
          ...(run.errorMessage ? [{ name: 'Error', value: run.errorMessage.slice(0, 1000), inline: false }] : []),
        ],
        timestamp: new Date().toISOString(),
      },
    ],
  };
}
