/** The columns of a Principal, read from `api_keys k JOIN users u`. */
export const PRINCIPAL_COLUMNS = `k.user_id AS "userId", u.email, k.role, k.id AS "keyId"`;
