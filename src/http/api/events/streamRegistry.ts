import type { OpenStream } from './taskStream.js';

/** A reserved place for one stream: released exactly once, when the stream ends (or could not start). */
export interface StreamSlot {
  attach(stream: OpenStream): void;
  release(): void;
}

/** The open event streams of this process, counted per API key for the concurrency cap. */
export interface StreamRegistry {
  /** A slot for keyId, or null when the key already has max streams open. */
  reserve(keyId: string, max: number): StreamSlot | null;
  /** Open streams, in total or for one key. */
  open(keyId?: string): number;
  endAll(): void;
}

export function createStreamRegistry(): StreamRegistry {
  const perKey = new Map<string, number>();
  const slots = new Map<StreamSlot, OpenStream | undefined>();

  const reserve = (keyId: string, max: number): StreamSlot | null => {
    const count = perKey.get(keyId) ?? 0;
    if (count >= max) return null;
    perKey.set(keyId, count + 1);
    const slot: StreamSlot = {
      attach(stream) {
        if (slots.has(slot)) slots.set(slot, stream);
      },
      release() {
        if (!slots.delete(slot)) return;
        const left = (perKey.get(keyId) ?? 1) - 1;
        if (left > 0) perKey.set(keyId, left);
        else perKey.delete(keyId);
      },
    };
    slots.set(slot, undefined);
    return slot;
  };

  return {
    reserve,
    open: (keyId) => (keyId === undefined ? slots.size : (perKey.get(keyId) ?? 0)),
    endAll() {
      for (const [slot, stream] of [...slots]) {
        stream?.end();
        slot.release();
      }
    },
  };
}
