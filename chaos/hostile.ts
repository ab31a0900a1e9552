import { sleep } from './wait.js';

/**
 * The hostile-provider mode's timings, given to both the simulator's knobs and Settle's configuration so that every
 * fault crosses the bound it is meant to cross: a createTask answered after the submission stopped waiting and after
 * the call's own timeout, a download several seconds long, a file over the size cap.
 */
export const HOSTILE = {
  submitWaitMs: 1_500,
  providerRequestTimeoutMs: 4_000,
  createDelayMs: 6_000,
  /** Short, so that a createTask in doubt is sent again (a new attempt) within the run. */
  dispatchDoubtMs: 10_000,
  pendingDeadlineMs: 40_000,
  maxResultBytes: 4 * 1024 * 1024,
  /** A download of 640 KiB at 20 KiB/s: 32 s, longer than the task lease (30 s), which it must renew as it runs. */
  slowDownload: { resultBytes: 640 * 1024, downloadBytesPerSecond: 20 * 1024 },
  largeResultBytes: 6 * 1024 * 1024,
  /** Not in DOWNLOAD_ALLOWED_HOSTS, and a loopback address: a download from it is refused. */
  foreignResultHost: '127.0.0.2',
  callbackHmacKey: 'chaos-callback-key',
} as const;

/** The slowest hostile download, for the bound on how late a task may settle. */
export const SLOWEST_DOWNLOAD_MS = Math.ceil((HOSTILE.slowDownload.resultBytes * 1000) / HOSTILE.slowDownload.downloadBytesPerSecond);

/** The knobs every episode starts from: the run's usual faults, with callbacks signed as KIE signs them. */
const CALM = {
  createDelayMs: 0,
  createHangRate: 0,
  transientAfterAccept: false,
  resultBytes: null,
  downloadBytesPerSecond: null,
  accountError: null,
  resultHost: null,
};

/** One hostile behaviour, switched on at the simulator for a few seconds. */
export const EPISODES: Record<string, object> = {
  calm: {},
  'createTask answered after the timeout': { createDelayMs: HOSTILE.createDelayMs },
  'createTask never answered': { createHangRate: 0.5 },
  'transient errors forever after a first acceptance': { createDelayMs: HOSTILE.createDelayMs, transientAfterAccept: true },
  'slow download': HOSTILE.slowDownload,
  'result over MAX_RESULT_BYTES': { resultBytes: HOSTILE.largeResultBytes },
  'account 402 (operator out of credits)': { accountError: 402 },
  'account 433 (sub-key limit)': { accountError: 433 },
  'account 505 (feature disabled)': { accountError: 505 },
  'result URL on a non-allowed host': { resultHost: HOSTILE.foreignResultHost },
};

/** The simulator's knobs at the start of a hostile run. */
export const HOSTILE_START = { ...CALM, callbackHmacKey: HOSTILE.callbackHmacKey };

/**
 * Switches the simulator from one episode to the next every 2 to 5 s until stopped, going through every episode in a
 * seeded shuffled order before any repeats (a 60 s run sees each). Answers how many times each episode ran. A change
 * the simulator refuses is a harness bug and fails the run.
 */
export function startHostileEpisodes(simUrl: string, random: () => number): { stop(): Promise<Record<string, number>> } {
  const names = Object.keys(EPISODES);
  const counts: Record<string, number> = Object.fromEntries(names.map((n) => [n, 0]));
  let running = true;
  const loop = (async () => {
    for (let deck: string[] = []; running; ) {
      if (deck.length === 0) deck = shuffled(names, random);
      const name = deck.pop()!;
      await setFaults(simUrl, { ...CALM, ...EPISODES[name] });
      counts[name]!++;
      await sleep(2_000 + random() * 3_000);
    }
    await setFaults(simUrl, CALM);
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return counts;
    },
  };
}

function shuffled<T>(items: readonly T[], random: () => number): T[] {
  const deck = [...items];
  for (let i = deck.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [deck[i], deck[j]] = [deck[j]!, deck[i]!];
  }
  return deck;
}

export async function setFaults(simUrl: string, faults: object): Promise<void> {
  const res = await fetch(`${simUrl}/sim/faults`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(faults),
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`the simulator refused the faults ${JSON.stringify(faults)}: ${res.status} ${await res.text()}`);
}
