import type { Command } from 'commander';
import Table from 'cli-table3';
import { z } from 'zod';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listWebhookEndpointsPage,
  webhookEndpointInput,
  webhookEndpointView,
  WEBHOOK_EVENT_TYPES,
} from '../../notify/index.js';
import { cursorOf } from '../../db/index.js';
import { action, CliError, parsePositiveInt, printJson, withSystem } from '../context.js';
import { pageKeyOf } from '../cursor.js';

function parseEndpoint(url: string, events: string | undefined) {
  const parsed = webhookEndpointInput.safeParse({ url, ...(events !== undefined && { events: events.split(',').map((e) => e.trim()) }) });
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  if (issue.path[0] === 'events') throw new CliError(`--events must be a comma-separated list of ${WEBHOOK_EVENT_TYPES.join(', ')}, got "${events}"`);
  throw new CliError(`--url must be an http or https URL, got "${url}"`);
}

export function registerWebhookCommands(program: Command): void {
  const webhooks = program.command('webhooks').description('manage outgoing webhook endpoints (signed task events)');
  webhooks
    .command('add')
    .description('register an endpoint; its signing secret is printed once')
    .requiredOption('--url <url>', 'where events are posted (any http or https URL)')
    .option('--events <list>', `comma-separated event types (default: all of ${WEBHOOK_EVENT_TYPES.join(', ')})`)
    .option('--json', 'print one JSON line {id,url,events,secret,createdAt}')
    .action(action(async (opts: { url: string; events?: string; json?: boolean }) => {
      const input = parseEndpoint(opts.url, opts.events);
      const created = await withSystem((s) => createWebhookEndpoint(s.db, input));
      const view = { ...webhookEndpointView(created), secret: created.secret };
      if (opts.json) return printJson(view);
      console.log(`Added webhook endpoint ${view.id} for ${view.events.join(', ')} to ${view.url}.`);
      console.log(`Signing secret (shown once): ${view.secret}`);
    }));
  webhooks
    .command('list')
    .description('list the endpoints, newest first (without their secrets)')
    .option('--limit <n>', 'how many', '50')
    .option('--cursor <cursor>', 'the page after the one that printed this cursor')
    .option('--json', 'machine output: {endpoints, nextCursor}')
    .action(action(async (opts: { limit: string; cursor?: string; json?: boolean }) => {
      const limit = parsePositiveInt(opts.limit, '--limit');
      const after = opts.cursor === undefined ? null : pageKeyOf(opts.cursor, 'settle webhooks list');
      const page = await withSystem((s) => listWebhookEndpointsPage(s.db, { after, limit }));
      const endpoints = page.endpoints.map(webhookEndpointView);
      const nextCursor = cursorOf(page.next);
      if (opts.json) return printJson({ endpoints, nextCursor });
      if (endpoints.length === 0) return console.log('No webhook endpoints. Add one with `settle webhooks add --url <url>`.');
      const table = new Table({ head: ['ID', 'URL', 'Events', 'Created'] });
      for (const e of endpoints) table.push([e.id, e.url, e.events.join(', '), e.createdAt]);
      console.log(table.toString());
      if (nextCursor) console.log(`More: settle webhooks list --cursor ${nextCursor}`);
    }));
  webhooks
    .command('remove <id>')
    .description('remove an endpoint; its queued events are not sent')
    .option('--json', 'machine output')
    .action(action(async (id: string, opts: { json?: boolean }) => {
      if (!z.uuid().safeParse(id).success) throw new CliError(`the endpoint id must be a UUID (see \`settle webhooks list\`), got "${id}"`);
      const removed = await withSystem((s) => deleteWebhookEndpoint(s.db, id));
      if (!removed) throw new CliError(`No webhook endpoint ${id}`, 1);
      if (opts.json) return printJson(webhookEndpointView(removed));
      console.log(`Removed webhook endpoint ${id} (${removed.url}).`);
    }));
}
