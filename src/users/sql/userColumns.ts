/** The columns of a UserRecord, read from `users`. */
export const USER_COLUMNS = `id AS "userId", external_id AS "externalId", email, name, created_at AS "createdAt"`;
