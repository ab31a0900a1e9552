export type Role = 'user' | 'admin';

/** Who a request acts as: the owner of the API key it presented (or that its session was opened with). */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  keyId: string;
}
