// A Vercel Function for the app that runs beside Settle: Vercel cron calls it (vercel.json) with
// `Authorization: Bearer $CRON_SECRET` (the Vercel project's secret), and it calls Settle's cron route of the same
// job with Settle's own secret. Copy this file to `api/settle-cron/[job].js` of the Vercel project (a Next.js app:
// `app/api/settle-cron/[job]/route.js`; the handler is the same) and set in the project:
//   CRON_SECRET         any long random string; Vercel sends it, this function checks it
//   SETTLE_URL          Settle's public URL, e.g. https://settle.example.com
//   SETTLE_CRON_SECRET  the CRON_SECRET Settle runs with
const JOBS = new Set(['process-stuck-tasks', 'cleanup-jobs']);

export async function GET(request) {
  const secret = process.env.CRON_SECRET;
  if (!secret || request.headers.get('authorization') !== `Bearer ${secret}`) {
    return Response.json({ error: 'unauthorized' }, { status: 401 });
  }
  const job = new URL(request.url).pathname.split('/').pop();
  if (!JOBS.has(job)) return Response.json({ error: 'unknown job' }, { status: 404 });
  const settle = await fetch(`${process.env.SETTLE_URL}/api/cron/${job}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${process.env.SETTLE_CRON_SECRET}` },
    // Below the function's maxDuration (vercel.json), so a slow run answers an error instead of a killed function.
    signal: AbortSignal.timeout(55_000),
  });
  return new Response(await settle.text(), { status: settle.status, headers: { 'content-type': 'application/json' } });
}
