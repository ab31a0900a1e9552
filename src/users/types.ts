export type Role = 'user' | 'admin';

/** Who a request acts as: the owner of the API key it presented (or that its session was opened with). */
export interface Principal {
  userId: string;
  /** Null for a user created by an app with only its own id (externalId). */
  email: string | null;
  role: Role;
  /** The key presented: with Settle-User, the admin's key acting for userId. */
  keyId: string;
}

/** A user as the admin API shows it. */
export interface UserRecord {
  userId: string;
  /** The app's own id for this user; unique. */
  externalId: string | null;
  email: string | null;
  name: string | null;
  createdAt: Date;
}

export interface ApiKeyRecord {
  keyId: string;
  /** The first characters of the key, to tell keys apart (the key itself is never stored). */
  prefix: string;
  role: Role;
  createdAt: Date;
  revokedAt: Date | null;
}
