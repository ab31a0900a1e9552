/**
 * The provider account calls `settle doctor` makes. They belong with the adapters in providers/; they live here
 * until the adapters' restructuring lands, and take plain arguments so they can move as they are.
 */

const TIMEOUT_MS = 10_000;

export type AccountAnswer = { ok: true; detail: string } | { ok: false; detail: string };

interface KieEnvelope {
  code?: number;
  msg?: string;
  message?: string;
  data?: unknown;
}

/** KIE's GET /api/v1/chat/credit: the key is valid when it answers code 200, and `data` is the credits left. */
export async function kieAccountCredits(baseUrl: string, apiKey: string): Promise<AccountAnswer> {
  const answer = await getJson<KieEnvelope>(`${baseUrl}/api/v1/chat/credit`, { authorization: `Bearer ${apiKey}` });
  if (!answer.ok) return answer;
  const { code, data } = answer.body;
  const said = answer.body.msg ?? answer.body.message ?? '';
  if (code === 401 || answer.status === 401) return { ok: false, detail: `the API key was refused (KIE code 401${said ? `: ${said}` : ''})` };
  if (code !== 200 || typeof data !== 'number') return { ok: false, detail: `unexpected answer (HTTP ${answer.status}, KIE code ${String(code)}${said ? `: ${said}` : ''})` };
  if (data <= 0) return { ok: false, detail: `key accepted, but the account has ${data} credits left: every task would fail (KIE 402)` };
  return { ok: true, detail: `key accepted, ${data} credits left` };
}

/** Replicate's GET /v1/account: the token is valid when it answers 200 with the account. */
export async function replicateAccount(baseUrl: string, apiToken: string): Promise<AccountAnswer> {
  const answer = await getJson<{ username?: string; type?: string }>(`${baseUrl}/v1/account`, { authorization: `Bearer ${apiToken}` });
  if (!answer.ok) return answer;
  if (answer.status === 401 || answer.status === 403) return { ok: false, detail: `the API token was refused (HTTP ${answer.status})` };
  if (answer.status !== 200 || !answer.body.username) return { ok: false, detail: `unexpected answer (HTTP ${answer.status})` };
  return { ok: true, detail: `token accepted, account ${answer.body.username}` };
}

type JsonAnswer<T> = { ok: true; status: number; body: T } | { ok: false; detail: string };

async function getJson<T>(url: string, headers: Record<string, string>): Promise<JsonAnswer<T>> {
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(TIMEOUT_MS) });
  } catch (err) {
    return { ok: false, detail: `cannot reach ${new URL(url).origin}: ${reason(err)}` };
  }
  const text = await res.text();
  try {
    return { ok: true, status: res.status, body: JSON.parse(text) as T };
  } catch {
    return { ok: false, detail: `${new URL(url).origin} answered HTTP ${res.status} with something that is not JSON` };
  }
}

/** fetch's "fetch failed" hides the reason (ECONNREFUSED, ENOTFOUND, a timeout) in its cause. */
export function reason(err: unknown): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e.name === 'TimeoutError') return `no answer within ${TIMEOUT_MS / 1000} s`;
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}
