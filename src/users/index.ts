export { authenticateApiKey, createApiKey, hashApiKey } from './apiKeys.js';
export type { Principal, Role } from './types.js';
export { createApiKeyCache, type ApiKeyCache, type ApiKeyCacheOptions } from './apiKeyCache.js';
export { createUser, findUserByEmail, UserExistsError, type CreatedUser, type NewUser } from './createUser.js';
export { emailsOf } from './emailsOf.js';
export { externalIdsOf } from './externalIdsOf.js';
export { findPrincipalByKeyId } from './sql/findPrincipalByKeyId.js';
export { isSessionRevoked } from './sql/findRevokedSession.js';
export { insertRevokedSession as revokeSession } from './sql/insertRevokedSession.js';
