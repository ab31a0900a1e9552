import type { Db } from '../db/index.js';

/** Runs a group of items in one statement or transaction; the results line up with the items. */
export type RunGroup<Item, Result> = (items: Item[]) => Promise<Result[]>;
export type RunOne<Item, Result> = (item: Item) => Promise<Result>;

interface Pending<Item, Result> {
  item: Item;
  resolve(result: Result): void;
  reject(err: unknown): void;
}

export interface GroupCommitOptions<Item, Result> {
  /** Items per group at most. */
  maxGroup: number;
  /** How a lone item runs; by default as a group of one. */
  runOne?: RunOne<Item, Result>;
  /** Items with the same key never share a group (one waits for the next), e.g. one balance row per statement. */
  distinctBy?: (item: Item) => string;
  /**
   * Groups run at once at most (default 1). A second group can run while the first one commits, when groups cannot
   * deadlock each other (their rows are distinct, or locked in one order).
   */
  maxInFlight?: number;
  /**
   * Items a group needs to start beside one in flight (default 1). A smaller group would pay a whole round trip and
   * commit for a few items; they wait for the next slot instead, and join the items that arrive meanwhile.
   */
  minGroupBeside?: number;
}

/**
 * Group commit: items that arrive while a group is in flight go together in the next one, so concurrent callers
 * share one round trip and one commit (on this kind of machine each costs more than the work in it). A lone item
 * runs at once. A group that fails for any reason is run again item by item, so one item's problem is reported for
 * that item only and never blocks or undoes the others.
 */
export class GroupCommit<Item, Result> {
  private queue: Pending<Item, Result>[] = [];
  private inFlight = 0;

  private readonly runOne: RunOne<Item, Result>;

  constructor(
    private readonly runGroup: RunGroup<Item, Result>,
    private readonly options: GroupCommitOptions<Item, Result>,
  ) {
    this.runOne = options.runOne ?? (async (item) => (await runGroup([item]))[0]!);
  }

  run(item: Item): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.startGroups();
    });
  }

  /** Starts the next groups while a slot is free; each one ending starts the next. */
  private startGroups(): void {
    const { maxInFlight = 1, minGroupBeside = 1 } = this.options;
    while (this.inFlight < maxInFlight && this.queue.length >= (this.inFlight === 0 ? 1 : minGroupBeside)) {
      this.inFlight++;
      void this.runPending(this.takeGroup()).finally(() => {
        this.inFlight--;
        this.startGroups();
      });
    }
  }

  /** The next group in arrival order; an item whose key is taken keeps its place for the next one. */
  private takeGroup(): Pending<Item, Result>[] {
    const { maxGroup, distinctBy } = this.options;
    if (!distinctBy) return this.queue.splice(0, maxGroup);
    const keys = new Set<string>();
    const group: Pending<Item, Result>[] = [];
    const rest: Pending<Item, Result>[] = [];
    for (const p of this.queue) {
      const key = distinctBy(p.item);
      if (group.length < maxGroup && !keys.has(key)) {
        keys.add(key);
        group.push(p);
      } else rest.push(p);
    }
    this.queue = rest;
    return group;
  }

  private async runPending(group: Pending<Item, Result>[]): Promise<void> {
    if (group.length === 1) return this.runAlone(group[0]!);
    let results: Result[];
    try {
      results = await this.runGroup(group.map((p) => p.item));
    } catch {
      await Promise.all(group.map((p) => this.runAlone(p)));
      return;
    }
    group.forEach((p, i) => p.resolve(results[i]!));
  }

  private async runAlone(p: Pending<Item, Result>): Promise<void> {
    await this.runOne(p.item).then(p.resolve, p.reject);
  }
}

/** One per database, shared by every caller in this process; weakly held, so a closed database takes it along. */
export function onePerDatabase<T>(make: (db: Db) => T): (db: Db) => T {
  const made = new WeakMap<Db, T>();
  return (db) => {
    let existing = made.get(db);
    if (!existing) {
      existing = make(db);
      made.set(db, existing);
    }
    return existing;
  };
}

/**
 * One group commit per database for a fenced write of several tasks' rows: `write` answers the ids whose lease
 * still held, and each caller learns whether its own row was written.
 */
export function fencedGroupCommit<Item extends { taskId: string }>(
  write: (db: Db, group: Item[]) => Promise<Set<string>>,
  options: Omit<GroupCommitOptions<Item, boolean>, 'runOne'>,
): (db: Db) => GroupCommit<Item, boolean> {
  return onePerDatabase(
    (db) =>
      new GroupCommit<Item, boolean>(async (group) => {
        const held = await write(db, group);
        return group.map((item) => held.has(item.taskId));
      }, options),
  );
}
