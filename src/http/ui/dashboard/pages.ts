import type { OutboxEntry } from '../../../notify/index.js';
import type { ExecutionView, RunSummary } from '../../../jobs/index.js';
import type { TaskListRow } from '../../../tasks/index.js';
import type { ScheduleView } from '../../../jobs/index.js';
import type { CronJobsData, TasksData } from './data.js';
import { DASH, formatAge, formatDuration, formatInt, formatPercent, formatTimestamp } from './format.js';
import { html, type SafeHtml } from '../html.js';
import { pageHead } from '../pageHead.js';


export interface PageContext {
  email: string;
  csrfToken: string;
}

type Nav = 'cron-jobs' | 'tasks';

interface LayoutOptions {
  title: string;
  page: Nav | 'sign-in';
  context?: PageContext;
  /** data-* attributes on <body> for the page script. */
  data?: Record<string, string | number>;
  chart?: boolean;
  body: SafeHtml;
}

const ASSETS = '/admin/assets';

function layout(o: LayoutOptions): SafeHtml {
  const data = Object.entries(o.data ?? {}).map(([k, v]) => html` data-${k}="${v}"`);
  return html`<!doctype html>
<html lang="en">
<head>
${pageHead(`${o.title} · Settle admin`, ASSETS, 'dashboard.css')}
${o.chart ? html`<link rel="stylesheet" href="${ASSETS}/vendor/uPlot.min.css">` : ''}
${o.context ? html`<meta name="csrf-token" content="${o.context.csrfToken}">` : ''}
${o.chart ? html`<script src="${ASSETS}/vendor/uPlot.iife.min.js" defer></script>` : ''}
${o.context ? html`<script src="${ASSETS}/dashboard.js" defer></script>` : ''}
</head>
<body data-page="${o.page}"${data}>
${o.context ? header(o.page as Nav, o.context) : ''}
<main>${o.body}</main>
</body>
</html>
`;
}

function header(page: Nav, context: PageContext): SafeHtml {
  const link = (target: Nav, label: string) =>
    html`<a href="/admin/${target}"${page === target ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<header class="top">
  <a class="brand" href="/admin/cron-jobs">Settle <span>admin</span></a>
  <nav aria-label="Dashboard">${link('cron-jobs', 'Cron jobs')}${link('tasks', 'Tasks')}</nav>
  <div class="who">
    <span class="email" title="Signed in">${context.email}</span>
    <form method="post" action="/admin/logout">
      <input type="hidden" name="_csrf" value="${context.csrfToken}">
      <button type="submit" class="link" id="sign-out">Sign out</button>
    </form>
  </div>
</header>`;
}

export interface SignInOptions {
  next: string;
  error?: string;
  notice?: string;
}

export function signInPage(o: SignInOptions): string {
  return layout({
    title: 'Sign in',
    page: 'sign-in',
    body: html`<section class="signin">
  <h1>Settle <span>admin</span></h1>
  <form method="post" action="/admin/login" class="panel" id="sign-in-form">
    <label for="apiKey">Admin API key</label>
    <input id="apiKey" name="apiKey" type="password" autocomplete="off" spellcheck="false" required maxlength="200" placeholder="sk_settle_…" autofocus>
    <input type="hidden" name="next" value="${o.next}">
    ${o.error ? html`<p class="error" role="alert" id="sign-in-error">${o.error}</p>` : ''}
    ${o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : ''}
    <button type="submit" class="primary">Sign in</button>
  </form>
  <p class="hint">Create an admin key with <code>settle users create --email you@example.com --admin</code>.
  The key is checked once; the browser keeps only a signed, HttpOnly session cookie.</p>
</section>`,
  }).value;
}

// ---------------------------------------------------------------------------------------------------------------
// /admin/cron-jobs

export interface CronJobsPageOptions {
  refreshSeconds: number;
}

export function cronJobsPage(context: PageContext, data: CronJobsData, o: CronJobsPageOptions): string {
  return layout({
    title: 'Cron jobs',
    page: 'cron-jobs',
    context,
    chart: true,
    data: { 'refresh-seconds': o.refreshSeconds, fragment: '/admin/partials/cron-jobs' },
    body: html`<div class="page-head">
  <h1>Cron jobs</h1>
  <div class="toolbar">
    <button type="button" id="refresh">Refresh</button>
    <label class="toggle"><input type="checkbox" id="auto-refresh" checked> Auto-refresh every <span id="refresh-interval">${formatInterval(o.refreshSeconds)}</span></label>
    <span class="updated">Last updated <time id="last-updated" datetime="${new Date().toISOString()}">${formatTimestamp(new Date())} UTC</time></span>
  </div>
</div>
<div id="schedule-result" class="result" role="status" aria-live="polite"></div>
<form class="panel trigger" id="trigger-form">
  <label for="trigger-job">Run a job now</label>
  <select id="trigger-job" name="job">${data.schedules.map((s) => html`<option value="${s.job}">${s.job}</option>`)}</select>
  <button type="submit" class="primary" id="trigger">Trigger Now</button>
  <div id="trigger-result" class="result" role="status" aria-live="polite"></div>
</form>
<div id="live">${cronJobsFragment(data)}</div>`,
  }).value;
}

function formatInterval(seconds: number): string {
  return seconds % 60 === 0 ? `${seconds / 60} min` : `${seconds} s`;
}

/** The part of the page that refreshes: schedules, cards, chart data and the run table. */
export function cronJobsFragment(data: CronJobsData): SafeHtml {
  return html`${schedulesSection(data.schedules)}
${providerAccountsSection(data.providerAccounts)}
${statsSection(data)}`;
}

/** The operator's provider accounts as the latest provider-account run found them (credits left, keys refused). */
function providerAccountsSection(accounts: CronJobsData['providerAccounts']): SafeHtml | string {
  if (!accounts) return '';
  return html`<section class="panel" id="provider-accounts">
  <h2>Provider accounts <span class="hint">checked ${formatTimestamp(accounts.checkedAt)} UTC</span></h2>
  <ul class="accounts">${accounts.readings.map(
    (a) => html`<li data-provider="${a.provider}" data-state="${a.state}"><strong>${a.provider}</strong> <span class="status status-${a.state === 'ok' ? 'completed' : 'failed'}">${a.state}</span> ${a.detail}</li>`,
  )}</ul>
</section>`;
}

function schedulesSection(schedules: ScheduleView[]): SafeHtml {
  return html`<section class="panel" id="schedules">
  <h2>Schedules</h2>
  ${schedules.filter((s) => s.paused).map(pausedNote)}
  <div class="table-wrap"><table class="stack" id="schedule-table">
    <thead><tr><th scope="col">Job</th><th scope="col">Pattern</th><th scope="col">State</th><th scope="col">Next run (UTC)</th><th scope="col">Last run (UTC)</th><th scope="col"><span class="sr-only">Pause or resume</span></th></tr></thead>
    <tbody>${schedules.map(scheduleRow)}</tbody>
  </table></div>
</section>`;
}

/** Why nothing runs on its own, and what still works: the operator reading the page mid-incident needs both. */
function pausedNote(s: ScheduleView): SafeHtml {
  const skipped = `${formatInt(s.skippedTicks)} tick${s.skippedTicks === 1 ? '' : 's'} skipped so far`;
  return html`<p class="paused-note" data-job="${s.job}" role="note"><strong>${s.job} is paused</strong> since ${formatTimestamp(s.pausedAt)} UTC by ${s.pausedBy ?? 'unknown'}${s.reason ? html` (${s.reason})` : ''}: no instance runs it on schedule and the cron route skips it (${skipped}); its runs raise no alerts. Trigger Now still runs it.</p>`;
}

function scheduleRow(s: ScheduleView): SafeHtml {
  const next = s.nextRun ? formatTimestamp(s.nextRun) : s.paused ? 'paused' : `off (${s.variable})`;
  const last = s.lastRun
    ? html`<span class="last-run"><time datetime="${s.lastRun.startedAt}">${formatTimestamp(s.lastRun.startedAt)}</time> <span class="status status-${s.lastRun.status}">${s.lastRun.status}</span>${triggerTag(s.lastRun.trigger)}</span>`
    : DASH;
  return html`<tr class="schedule" data-job="${s.job}" data-paused="${String(s.paused)}">
  <td data-label="Job" data-col="job">${s.job}</td>
  <td data-label="Pattern" data-col="pattern"><code>${s.pattern}</code></td>
  <td data-label="State" data-col="state"><span class="status status-${s.paused ? 'paused' : 'active'}">${s.paused ? 'paused' : 'active'}</span></td>
  <td data-label="Next run" data-col="next">${next}</td>
  <td data-label="Last run" data-col="last">${last}</td>
  <td class="action"><button type="button" class="schedule-toggle" data-job="${s.job}" data-paused="${String(s.paused)}" aria-pressed="${String(s.paused)}" title="${s.paused ? 'Let its schedule run it again' : 'Stop its scheduled runs on every instance'}">${s.paused ? 'Resume' : 'Pause'}</button></td>
</tr>`;
}

/** Scheduled runs carry no tag; the cron route and manual runs (admin, CLI) say where they came from. */
function triggerTag(trigger: string): SafeHtml | string {
  if (trigger === 'cron') return '';
  const label = trigger === 'http' ? 'cron route' : `manual · ${trigger}`;
  return html` <span class="tag" data-trigger="${trigger}">${label}</span>`;
}

function statsSection(data: CronJobsData): SafeHtml {
  const s = data.stats;
  const windowHours = Math.round(s.windowMs / 3_600_000);
  const card = (key: string, label: string, value: string, hint?: string) =>
    html`<div class="card" data-stat="${key}"><span class="label">${label}</span><span class="value">${value}</span>${hint ? html`<span class="hint">${hint}</span>` : ''}</div>`;
  return html`<section class="cards" aria-label="Run statistics, last ${windowHours} hours">
  ${card('totalExecutions', 'Total Executions', formatInt(s.totalExecutions), `last ${windowHours} h`)}
  ${card('successRate', 'Success Rate', formatPercent(s.successRate), 'completed of finished runs')}
  ${card('avgDuration', 'Average Duration', formatDuration(s.avgDurationMs), 'finished runs')}
  ${card('tasksRecovered', 'Completed by Recovery', formatInt(s.tasksRecovered), 'delivered and charged')}
  ${card('tasksRetried', 'Retried', formatInt(s.tasksRetried), 'resubmitted to the provider')}
  ${card('tasksRedispatched', 'Re-dispatched', formatInt(s.tasksRedispatched), 'pending tasks sent again')}
  ${card('tasksFailed', 'Tasks Failed', formatInt(s.tasksFailed), 'failed and refunded')}
  ${card('errorRate', 'Error Rate', formatPercent(s.errorRate), 'task errors of tasks found')}
</section>
<section class="panel chart-panel">
  <h2>Tasks completed and failed by recovery, per run</h2>
  <div id="chart-data" hidden data-series="${JSON.stringify(chartSeries(data.executions))}"></div>
  <div id="chart" class="chart" role="img" aria-label="Tasks completed and failed by recovery per run over time"></div>
  ${data.executions.length === 0 ? html`<p class="empty">No runs yet.</p>` : ''}
</section>
<section class="panel">
  <h2>Last ${data.executions.length} runs</h2>
  ${executionTable(data.executions)}
</section>`;
}

/** Oldest first, as uPlot wants: x in seconds, one point per finished run. */
function chartSeries(executions: ExecutionView[]): { t: number[]; recovered: number[]; failed: number[] } {
  const points = executions
    .flatMap((e) => (e.summary ? [{ t: Date.parse(e.startedAt) / 1000, s: e.summary }] : []))
    .sort((a, b) => a.t - b.t);
  return { t: points.map((p) => p.t), recovered: points.map((p) => p.s.completed), failed: points.map((p) => p.s.failed) };
}

function executionTable(executions: ExecutionView[]): SafeHtml {
  if (executions.length === 0) return html`<p class="empty" id="no-runs">No runs recorded yet. Trigger one above.</p>`;
  return html`<div class="table-wrap"><table class="runs stack" id="runs">
  <thead><tr><th scope="col"><span class="sr-only">Details</span></th><th scope="col">Started (UTC)</th><th scope="col">Job</th><th scope="col">Duration</th><th scope="col">Status</th><th scope="col" class="num">Found</th><th scope="col" class="num">Completed</th><th scope="col" class="num">Retried</th><th scope="col" class="num">Re-dispatched</th><th scope="col" class="num">Failed</th><th scope="col" class="num">Errors</th></tr></thead>
  <tbody>${executions.map(executionRows)}</tbody>
</table></div>`;
}

function executionRows(e: ExecutionView): SafeHtml {
  const c = e.summary;
  const detailId = `run-${e.id}`;
  const cell = (label: string, key: keyof RunSummary) =>
    html`<td class="num" data-label="${label}" data-col="${key.toLowerCase()}">${formatInt(c?.[key] ?? null)}</td>`;
  return html`<tr class="run" data-execution-id="${e.id}" data-status="${e.status}">
  <td class="expand"><button type="button" class="toggle-row" aria-expanded="false" aria-controls="${detailId}" title="Show results">▸</button></td>
  <td data-label="Started" data-col="started"><time datetime="${e.startedAt}">${formatTimestamp(e.startedAt)}</time></td>
  <td data-label="Job" data-col="job">${e.jobName}${triggerTag(e.trigger)}</td>
  <td data-label="Duration" data-col="duration">${e.status === 'running' ? DASH : formatDuration(e.durationMs)}</td>
  <td data-label="Status" data-col="status"><span class="status status-${e.status}">${e.status}</span></td>
  ${cell('Found', 'found')}${cell('Completed', 'completed')}${cell('Retried', 'retried')}${cell('Re-dispatched', 'redispatched')}${cell('Failed', 'failed')}${cell('Errors', 'errors')}
</tr>
<tr class="run-detail" id="${detailId}" hidden>
  <td colspan="11">
    <dl class="facts">
      <div><dt>Execution</dt><dd><code>${e.id}</code></dd></div>
      <div><dt>Trigger</dt><dd>${e.trigger}</dd></div>
      <div><dt>Instance</dt><dd>${e.owner ?? DASH}</dd></div>
      <div><dt>Completed</dt><dd>${e.completedAt ? `${formatTimestamp(e.completedAt)} UTC` : DASH}</dd></div>
    </dl>
    ${e.errorMessage ? html`<h3>Error</h3><pre class="error-message">${e.errorMessage}</pre>` : ''}
    <h3>Results</h3>
    <pre class="results-json">${e.results ? JSON.stringify(e.results, null, 2) : 'No results (the run did not finish).'}</pre>
  </td>
</tr>`;
}

// ---------------------------------------------------------------------------------------------------------------
// /admin/tasks

export function tasksPage(context: PageContext, data: TasksData): string {
  return layout({
    title: 'Tasks',
    page: 'tasks',
    context,
    data: { fragment: '/admin/partials/tasks' },
    body: html`<div class="page-head">
  <h1>Tasks</h1>
  <div class="toolbar">
    <button type="button" id="refresh">Refresh</button>
    <span class="updated">Last updated <time id="last-updated" datetime="${new Date().toISOString()}">${formatTimestamp(new Date())} UTC</time></span>
  </div>
</div>
<div id="action-result" class="result" role="status" aria-live="polite"></div>
<div id="live">${tasksFragment(data)}</div>`,
  }).value;
}

export function tasksFragment(data: TasksData): SafeHtml {
  return html`${stuckSection(data)}
<div class="two-col">
${frozenSection(data)}
${deadSection(data)}
</div>`;
}

function stuckSection(data: TasksData): SafeHtml {
  const { tasks, total } = data.stuck;
  const shown = tasks.length < total ? html` <span class="muted">(oldest ${tasks.length} shown)</span>` : '';
  return html`<section class="panel" id="stuck">
  <h2>Stuck tasks <span class="count" data-stat="stuckTotal">${formatInt(total)}</span>${shown}</h2>
  <p class="hint">Processing for more than ${formatDuration(data.stuckAfterMs)}, or pending for more than ${formatDuration(data.pendingStuckMs)}; oldest first. Retry re-dispatches a pending task, or asks the provider about a processing one and settles it if it has finished.</p>
  ${tasks.length === 0
    ? html`<p class="empty" id="no-stuck">No stuck tasks.</p>`
    : html`<div class="table-wrap"><table class="stack" id="stuck-tasks">
    <thead><tr><th scope="col">Age</th><th scope="col">Task</th><th scope="col">Model</th><th scope="col">User</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
    <tbody>${tasks.map(stuckRow)}</tbody>
  </table></div>`}
</section>`;
}

function stuckRow(t: TaskListRow & { email: string | null }): SafeHtml {
  return html`<tr data-task-id="${t.id}">
  <td data-label="Age" data-col="age">${formatAge(Number(t.age_ms))}</td>
  <td data-label="Task" data-col="task"><code title="${t.id}">${t.id.slice(0, 8)}</code>${t.error_message ? html`<div class="sub" title="${t.error_message}">${truncate(t.error_message, 80)}</div>` : ''}</td>
  <td data-label="Model" data-col="model">${t.model}</td>
  <td data-label="User" data-col="user">${t.email ?? t.user_id}</td>
  <td data-label="Status" data-col="status"><span class="status status-${t.status}">${t.status}</span></td>
  <td data-label="Attempts" data-col="attempts" class="num">${t.attempts} / ${t.max_attempts}</td>
  <td class="action"><button type="button" class="retry" data-task-id="${t.id}">Retry</button></td>
</tr>`;
}

function frozenSection(data: TasksData): SafeHtml {
  const f = data.frozen;
  return html`<section class="panel" id="frozen">
  <h2>Frozen credits</h2>
  <p class="big"><span data-stat="frozenTotal">${formatInt(f.total)}</span> <span class="muted">credits held by running tasks</span></p>
  ${f.topHolders.length === 0
    ? html`<p class="empty">No user has credits frozen.</p>`
    : html`<div class="table-wrap"><table class="stack" id="top-holders">
    <thead><tr><th scope="col">User</th><th scope="col" class="num">Frozen</th><th scope="col" class="num">Open holds</th></tr></thead>
    <tbody>${f.topHolders.map(
      (h) => html`<tr data-user-id="${h.userId}"><td data-label="User">${h.email ?? h.userId}</td><td data-label="Frozen" class="num">${formatInt(h.frozen)}</td><td data-label="Open holds" class="num">${formatInt(h.openHolds)}</td></tr>`,
    )}</tbody>
  </table></div>`}
</section>`;
}

function deadSection(data: TasksData): SafeHtml {
  return html`<section class="panel" id="dead-letters">
  <h2>Outbox dead letters <span class="count" data-stat="deadTotal">${formatInt(data.outbox.dead)}</span></h2>
  <p class="hint">Notifications that failed every attempt. Backlog: <span data-stat="outboxPending">${formatInt(data.outbox.pending)}</span> pending.</p>
  ${data.dead.length === 0
    ? html`<p class="empty" id="no-dead">No dead letters.</p>`
    : html`<div class="table-wrap"><table class="stack" id="dead">
    <thead><tr><th scope="col">Created (UTC)</th><th scope="col">Channel</th><th scope="col">Kind</th><th scope="col" class="num">Attempts</th><th scope="col">Last error</th><th scope="col"><span class="sr-only">Action</span></th></tr></thead>
    <tbody>${data.dead.map(deadRow)}</tbody>
  </table></div>`}
</section>`;
}

function deadRow(e: OutboxEntry): SafeHtml {
  return html`<tr data-outbox-id="${e.id}">
  <td data-label="Created">${formatTimestamp(e.created_at)}</td>
  <td data-label="Channel">${e.channel}</td>
  <td data-label="Kind">${e.kind}</td>
  <td data-label="Attempts" class="num">${e.max_attempts === null ? e.attempts : `${e.attempts} / ${e.max_attempts}`}</td>
  <td data-label="Last error" data-col="error" class="wrap">${e.last_error ? truncate(e.last_error, 160) : DASH}</td>
  <td class="action" data-col="status"><button type="button" class="resend" data-outbox-id="${e.id}">Re-send</button></td>
</tr>`;
}

function truncate(value: string, max: number): string {
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}
