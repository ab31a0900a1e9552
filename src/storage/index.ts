export { assetKey, taskIdOfAssetKey, type AssetStore, type StoredAsset } from './types.js';
export { createLocalStore, type LocalAssetStore } from './localStore.js';
export { createS3Store, type S3AssetStore, type S3StoreOptions } from './s3Store.js';
