import { BUILT_IN_MODELS } from '../../providers/catalog.js';
import type { TaskType } from '../../providers/types.js';

/**
 * The simulator's notion of a supported model: the built-in catalog, plus any id that names its output ("...-video",
 * "...image...", "...banana...") so a MODELS_FILE catalog works against it too. Anything else is "not supported".
 */
export function modelType(model: string): TaskType | undefined {
  const known = BUILT_IN_MODELS.find((m) => m.id === model);
  if (known) return known.type;
  if (/video/i.test(model)) return 'video';
  if (/image|banana/i.test(model)) return 'image';
  return undefined;
}

export const contentType = (type: TaskType): string => (type === 'video' ? 'video/mp4' : 'image/png');
