export { assetKey, type AssetStore, type StoredAsset } from './types.js';
export { createLocalStore, type LocalAssetStore } from './localStore.js';
