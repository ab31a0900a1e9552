import { readFileSync } from 'node:fs';
import type { TaskType } from '../../providers/types.js';

// Beside the compiled code in dist/ too (scripts/copy-assets.mjs); see ../media/README.md for how they were made.
const FILES: Record<TaskType, URL> = {
  video: new URL('../media/clip.mp4', import.meta.url),
  image: new URL('../media/image.png', import.meta.url),
};

const loaded = new Map<TaskType, Buffer>();

/** A small real media file of the task's type: a playable 2 s H.264/AAC clip, or a PNG. Read once. */
export function mediaFile(type: TaskType): Buffer {
  const bytes = loaded.get(type) ?? readFileSync(FILES[type]);
  loaded.set(type, bytes);
  return bytes;
}
