import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPostgres, prepared } from '../../src/db/index.js';
import { taskColumns } from '../../src/tasks/index.js';
import { createTestDatabase, usingPooler, usingPostgres, type TestDatabase } from '../helpers/db.js';

describe('prepared statements', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(() => t.drop());

  it('refuses a statement whose result is *', () => {
    expect(() => prepared('a', 'UPDATE tasks SET progress = 1 RETURNING *')).toThrow(/must name its result columns/);
    expect(() => prepared('b', 'SELECT t.* FROM tasks t')).toThrow(/must name its result columns/);
    expect(prepared('c', `SELECT ${taskColumns()} FROM tasks WHERE id = $1`).name).toBe('c');
  });

  it("taskColumns names exactly the tasks table's columns", async () => {
    const { rows } = await t.db.query<{ column_name: string }>(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'tasks' AND table_schema = current_schema()`,
    );
    expect(taskColumns().split(', ').sort()).toEqual(rows.map((r) => r.column_name).sort());
  });

  it.skipIf(!usingPostgres() || usingPooler())('keep working on an open connection after a migration adds a column, where a prepared * breaks (PostgreSQL only: PGlite and a transaction pooler run no named statements)', async () => {
    // One connection, so the second run of each statement reuses the plan prepared by the first.
    const db = openPostgres(t.url!, { max: 1 });
    try {
      const named = prepared('findTaskNamed', `SELECT ${taskColumns()} FROM tasks WHERE id = $1`);
      const star = { name: 'findTaskStar', text: 'SELECT * FROM tasks WHERE id = $1' };
      const id = '00000000-0000-4000-8000-000000000000';
      await db.query(named, [id]);
      await db.query(star, [id]);
      await t.db.query('ALTER TABLE tasks ADD COLUMN added_by_a_later_release text');
      await expect(db.query(named, [id])).resolves.toMatchObject({ rows: [] });
      await expect(db.query(star, [id])).rejects.toThrow(/cached plan must not change result type/);
    } finally {
      await t.db.query('ALTER TABLE tasks DROP COLUMN IF EXISTS added_by_a_later_release');
      await db.close();
    }
  });
});
