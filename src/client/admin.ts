import type { ApiKeyPage, CreatedKey, CreditMove, NewUser, PageQuery, Refund, RevokedKey, User, UserDetail, UserPage, UserQuery, WebhookEndpoint, WebhookEndpointPage } from './adminTypes.js';
import type { WebhookEventType } from './webhooks.js';
import { connectionOf, SettleClient, type SettleClientOptions } from './client.js';
import { errorFromResponse } from './errors.js';
import { send, sendJson, type Connection } from './http.js';

export interface SettleAdminOptions {
  /** The Settle server, e.g. "https://settle.example.com". */
  baseUrl: string;
  /** An admin API key. Keep it on your backend: it moves money. */
  apiKey: string;
  fetch?: typeof fetch;
}

const path = encodeURIComponent;
/** The server's largest page. */
const MAX_PAGE = 200;

function queryString(query: object): string {
  const params = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
  return params.size > 0 ? `?${params}` : '';
}

/**
 * What an app's backend needs from Settle besides tasks: its users (by your own user ids), their keys and credits,
 * refunds, webhook endpoints, and a SettleClient acting for one user. Every money move carries your reference (a
 * payment id, an order id), so retrying a call can never move money twice. No dependencies beyond fetch.
 */
export class SettleAdmin {
  private readonly connection: Connection;

  constructor(private readonly options: SettleAdminOptions) {
    this.connection = connectionOf({ ...options, credentials: 'omit' });
  }

  /** A client that acts as this user on every /api/v1 route (`Settle-User`): a user id, or `ext:` and your own id. */
  forUser(user: string, options: Omit<SettleClientOptions, 'baseUrl' | 'apiKey' | 'fetch'> = {}): SettleClient {
    const { baseUrl, apiKey, fetch } = this.options;
    return new SettleClient({ ...options, baseUrl, apiKey, fetch, credentials: 'omit', headers: { ...options.headers, 'settle-user': user } });
  }

  readonly users = {
    /** Creates the user, or answers the one with this externalId (created: false, nothing granted). */
    create: async (user: NewUser): Promise<User & { created: boolean }> => {
      const { status, body } = await sendJson<User>(this.connection, 'POST', '/api/admin/users', { body: user });
      return { ...body, created: status === 201 };
    },
    get: async (userId: string): Promise<UserDetail> => (await sendJson<UserDetail>(this.connection, 'GET', `/api/admin/users/${path(userId)}`)).body,
    /** One page, newest first; pass nextCursor back for the next. */
    list: async (query: UserQuery = {}): Promise<UserPage> => (await sendJson<UserPage>(this.connection, 'GET', `/api/admin/users${queryString(query)}`)).body,
    /** The user with this externalId, or null. */
    findByExternalId: async (externalId: string): Promise<UserPage['users'][number] | null> => (await this.users.list({ externalId })).users[0] ?? null,
  };

  readonly keys = {
    /** A new user key; the key is in the answer once. */
    create: async (userId: string): Promise<CreatedKey> => (await sendJson<CreatedKey>(this.connection, 'POST', `/api/admin/users/${path(userId)}/keys`)).body,
    /** Every Settle instance refuses the key within 5 s. Revoking twice keeps the first time. */
    revoke: async (keyId: string): Promise<RevokedKey> => (await sendJson<RevokedKey>(this.connection, 'DELETE', `/api/admin/keys/${path(keyId)}`)).body,
    /** One page of the user's keys (revoked ones too), newest first; pass nextCursor back for the next. */
    list: async (userId: string, query: PageQuery = {}): Promise<ApiKeyPage> =>
      (await sendJson<ApiKeyPage>(this.connection, 'GET', `/api/admin/users/${path(userId)}/keys${queryString(query)}`)).body,
  };

  readonly credits = {
    /** Adds credits once per reference (a Stripe payment id, say): the same call again answers the first. */
    grant: (userId: string, amount: number, reference: string, reason?: string): Promise<CreditMove> => this.moveCredits(userId, amount, reference, reason),
    /** Takes available credits once per reference; never frozen ones (InsufficientCreditsError). */
    debit: (userId: string, amount: number, reference: string, reason?: string): Promise<CreditMove> => this.moveCredits(userId, -amount, reference, reason),
  };

  readonly tasks = {
    /** Gives a completed task's charge back, once: a second call answers the first refund. */
    refund: async (taskId: string, reason: string): Promise<Refund> => {
      const { status, body } = await sendJson<Omit<Refund, 'replayed'>>(this.connection, 'POST', `/api/admin/tasks/${path(taskId)}/refund`, { body: { reason } });
      return { ...body, replayed: status === 200 };
    },
  };

  readonly webhookEndpoints = {
    /** The answer carries the endpoint's signing secret (whsec_…); verify deliveries with verifyWebhook. */
    create: async (endpoint: { url: string; events?: WebhookEventType[] }): Promise<WebhookEndpoint> =>
      (await sendJson<WebhookEndpoint>(this.connection, 'POST', '/api/admin/webhook-endpoints', { body: endpoint })).body,
    /** One page, newest first; pass nextCursor back for the next. */
    page: async (query: PageQuery = {}): Promise<WebhookEndpointPage> =>
      (await sendJson<WebhookEndpointPage>(this.connection, 'GET', `/api/admin/webhook-endpoints${queryString(query)}`)).body,
    /** Every endpoint, newest first, page by page (endpoints are configuration: a handful). */
    list: async (): Promise<WebhookEndpoint[]> => {
      const endpoints: WebhookEndpoint[] = [];
      for (let cursor: string | undefined; ; ) {
        const page = await this.webhookEndpoints.page({ cursor, limit: MAX_PAGE });
        endpoints.push(...page.endpoints);
        if (!page.nextCursor) return endpoints;
        cursor = page.nextCursor;
      }
    },
    delete: async (id: string): Promise<void> => {
      const res = await send(this.connection, 'DELETE', `/api/admin/webhook-endpoints/${path(id)}`, {});
      if (!res.ok) throw await errorFromResponse(res);
      await res.body?.cancel();
    },
  };

  private async moveCredits(userId: string, amount: number, reference: string, reason?: string): Promise<CreditMove> {
    const body = { amount, reference, ...(reason !== undefined && { reason }) };
    const answer = await sendJson<Omit<CreditMove, 'replayed'>>(this.connection, 'POST', `/api/admin/users/${path(userId)}/credits`, { body });
    return { ...answer.body, replayed: answer.status === 200 };
  }
}
