// Settle admin dashboard. The server renders every value (escaped); this script only swaps in freshly rendered
// fragments, runs the page's actions (with the session's CSRF token) and draws the chart with uPlot.
(() => {
  'use strict';

  const body = document.body;
  const csrfMeta = document.querySelector('meta[name="csrf-token"]');
  const csrf = csrfMeta ? csrfMeta.getAttribute('content') : '';
  const live = document.getElementById('live');
  const fragmentUrl = body.dataset.fragment;
  const lastUpdated = document.getElementById('last-updated');
  const expanded = new Set();
  let highlight = null;
  let refreshing = null;
  let plot = null;

  const utc = (date) => date.toISOString().replace('T', ' ').slice(0, 19) + ' UTC';

  function signInAgain() {
    location.assign('/admin?expired=1&next=' + encodeURIComponent(location.pathname + location.search));
  }

  async function send(method, url, data) {
    const headers = { accept: method === 'GET' ? 'text/html' : 'application/json' };
    if (method !== 'GET') headers['x-csrf-token'] = csrf;
    if (data !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url, {
      method,
      headers,
      credentials: 'same-origin',
      body: data === undefined ? undefined : JSON.stringify(data),
    });
    if (res.status === 401) {
      signInAgain();
      throw new Error('your session ended; sign in again');
    }
    return res;
  }

  async function postJson(url, data) {
    const res = await send('POST', url, data);
    const json = await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((json.error && json.error.message) || 'HTTP ' + res.status);
    return json;
  }

  function showResult(el, message, kind) {
    if (!el) return;
    el.textContent = message;
    el.className = 'result' + (kind ? ' ' + kind : '');
  }

  // ---- refreshing the server-rendered part of the page -------------------------------------------------------

  async function refresh() {
    if (!live || !fragmentUrl) return;
    if (refreshing) return refreshing;
    body.dataset.refreshing = '1';
    refreshing = (async () => {
      try {
        const res = await send('GET', fragmentUrl);
        if (!res.ok) throw new Error('HTTP ' + res.status);
        live.innerHTML = await res.text();
        afterRender();
        const now = new Date();
        if (lastUpdated) {
          lastUpdated.textContent = utc(now);
          lastUpdated.setAttribute('datetime', now.toISOString());
          lastUpdated.classList.remove('bad');
        }
        body.dataset.refreshCount = String(Number(body.dataset.refreshCount || 0) + 1);
      } catch (err) {
        if (lastUpdated) {
          lastUpdated.textContent = 'refresh failed (' + err.message + ')';
          lastUpdated.classList.add('bad');
        }
      } finally {
        refreshing = null;
        delete body.dataset.refreshing;
      }
    })();
    return refreshing;
  }

  function afterRender() {
    for (const id of expanded) {
      const row = live.querySelector('tr.run[data-execution-id="' + CSS.escape(id) + '"]');
      if (row) setExpanded(row, true);
    }
    if (highlight) {
      const row = live.querySelector('tr.run[data-execution-id="' + CSS.escape(highlight) + '"]');
      if (row) row.classList.add('new');
    }
    drawChart();
  }

  const refreshButton = document.getElementById('refresh');
  if (refreshButton) refreshButton.addEventListener('click', () => refresh());

  const autoToggle = document.getElementById('auto-refresh');
  const seconds = Number(body.dataset.refreshSeconds) || 0;
  if (autoToggle && seconds > 0) {
    setInterval(() => {
      if (autoToggle.checked) refresh();
    }, seconds * 1000);
  }

  // ---- cron-jobs page ----------------------------------------------------------------------------------------

  function setExpanded(row, open) {
    const button = row.querySelector('.toggle-row');
    const detail = document.getElementById(button.getAttribute('aria-controls'));
    if (!detail) return;
    detail.hidden = !open;
    button.setAttribute('aria-expanded', String(open));
    button.title = open ? 'Hide results' : 'Show results';
  }

  if (live) {
    live.addEventListener('click', (event) => {
      const toggle = event.target.closest('.toggle-row');
      if (toggle) {
        const row = toggle.closest('tr.run');
        const open = toggle.getAttribute('aria-expanded') !== 'true';
        setExpanded(row, open);
        if (open) expanded.add(row.dataset.executionId);
        else expanded.delete(row.dataset.executionId);
        return;
      }
      const scheduleToggle = event.target.closest('button.schedule-toggle');
      if (scheduleToggle) return toggleSchedule(scheduleToggle);
      const retry = event.target.closest('button.retry');
      if (retry) return retryTask(retry);
      const resend = event.target.closest('button.resend');
      if (resend) return resendNotification(resend);
    });
  }

  const triggerForm = document.getElementById('trigger-form');
  if (triggerForm) {
    const select = document.getElementById('trigger-job');
    const button = document.getElementById('trigger');
    const result = document.getElementById('trigger-result');
    triggerForm.addEventListener('submit', async (event) => {
      event.preventDefault();
      const job = select.value;
      button.disabled = true;
      button.textContent = 'Running…';
      showResult(result, 'Running ' + job + '…', '');
      try {
        const run = await postJson('/admin/api/trigger-cron', { job });
        highlight = run.executionId;
        result.dataset.executionId = run.executionId || '';
        showResult(result, run.message + ' — ' + run.durationMs + ' ms, execution ' + run.executionId, run.status === 'completed' ? 'ok' : 'bad');
        await refresh();
      } catch (err) {
        showResult(result, 'Trigger failed: ' + err.message, 'bad');
      } finally {
        button.disabled = false;
        button.textContent = 'Trigger Now';
      }
    });
  }

  const scheduleResult = document.getElementById('schedule-result');

  // Pausing asks for an optional reason (Cancel keeps the job running); resuming needs no question.
  async function toggleSchedule(button) {
    const job = button.dataset.job;
    const pause = button.dataset.paused !== 'true';
    const body = { job, paused: pause };
    if (pause) {
      const reason = window.prompt('Pause ' + job + ' on every instance? Scheduled ticks and the cron route will skip it until it is resumed; a run in progress finishes.\n\nReason (optional):', '');
      if (reason === null) return;
      if (reason.trim()) body.reason = reason.trim();
    }
    button.disabled = true;
    try {
      const r = await postJson('/api/admin/schedules', body);
      showResult(scheduleResult, r.message, 'ok');
      await refresh();
    } catch (err) {
      button.disabled = false;
      showResult(scheduleResult, (pause ? 'Pause' : 'Resume') + ' failed: ' + err.message, 'bad');
    }
  }

  function drawChart() {
    if (plot) {
      plot.destroy();
      plot = null;
    }
    const el = document.getElementById('chart');
    const dataEl = document.getElementById('chart-data');
    if (!el || !dataEl || typeof uPlot === 'undefined') return;
    const series = JSON.parse(dataEl.dataset.series || '{"t":[],"recovered":[],"failed":[]}');
    if (series.t.length === 0) {
      el.hidden = true;
      return;
    }
    const options = {
      width: Math.max(260, el.clientWidth),
      height: 220,
      scales: { x: { time: true }, y: { range: (_u, min, max) => [0, Math.max(1, max) * 1.15] } },
      series: [
        {},
        { label: 'Recovered', stroke: '#1a7f37', width: 2, fill: 'rgba(26,127,55,0.08)', points: { show: true, size: 6 } },
        { label: 'Failed', stroke: '#c62828', width: 2, points: { show: true, size: 6 } },
      ],
      axes: [{}, { label: 'tasks per run', size: 56 }],
      legend: { live: false },
    };
    plot = new uPlot(options, [series.t, series.recovered, series.failed], el);
  }

  let resizeTimer = null;
  window.addEventListener('resize', () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      const el = document.getElementById('chart');
      if (plot && el) plot.setSize({ width: Math.max(260, el.clientWidth), height: 220 });
    }, 150);
  });

  // ---- tasks page --------------------------------------------------------------------------------------------

  const actionResult = document.getElementById('action-result');

  function statusBadge(status) {
    const span = document.createElement('span');
    span.className = 'status status-' + status;
    span.textContent = status;
    return span;
  }

  async function retryTask(button) {
    const id = button.dataset.taskId;
    const ok = window.confirm(
      'Retry task ' + id + ' now?\n\nA pending task is dispatched to the provider again; a processing task is checked with the provider and settled if it has finished.',
    );
    if (!ok) return;
    button.disabled = true;
    button.textContent = 'Retrying…';
    try {
      const r = await postJson('/admin/api/tasks/' + encodeURIComponent(id) + '/retry');
      const row = button.closest('tr');
      row.dataset.status = r.status;
      row.querySelector('[data-col="status"]').replaceChildren(statusBadge(r.status));
      button.textContent = 'Retried';
      showResult(actionResult, r.message, 'ok');
    } catch (err) {
      button.disabled = false;
      button.textContent = 'Retry';
      showResult(actionResult, 'Retry failed: ' + err.message, 'bad');
    }
  }

  async function resendNotification(button) {
    const id = button.dataset.outboxId;
    if (!window.confirm('Queue this notification for delivery again?')) return;
    button.disabled = true;
    try {
      const r = await postJson('/admin/api/outbox/' + encodeURIComponent(id) + '/resend');
      const cell = button.closest('td');
      cell.replaceChildren(statusBadge(r.status));
      button.closest('tr').dataset.status = r.status;
      showResult(actionResult, r.message, 'ok');
    } catch (err) {
      button.disabled = false;
      showResult(actionResult, 'Re-send failed: ' + err.message, 'bad');
    }
  }

  drawChart();
})();
