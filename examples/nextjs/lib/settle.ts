// Settle, from your app's backend: one admin key, never sent to browsers.
import { SettleAdmin } from 'settle/client';

export const settle = new SettleAdmin({
  baseUrl: process.env.SETTLE_URL!,
  apiKey: process.env.SETTLE_ADMIN_KEY!,
});

/** Your user, as Settle knows them: by your own user id (created on first use, the same user ever after). */
export const settleUser = (appUserId: string): string => `ext:${appUserId}`;
