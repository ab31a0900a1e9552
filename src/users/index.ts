export { authenticateApiKey, createApiKey, hashApiKey, type Principal, type Role } from './apiKeys.js';
export { createApiKeyCache, type ApiKeyCache, type ApiKeyCacheOptions } from './apiKeyCache.js';
export { createUser, findUserByEmail, UserExistsError, type CreatedUser, type NewUser } from './createUser.js';
export { emailsOf } from './emailsOf.js';
