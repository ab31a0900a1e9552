-- Schedules an operator can pause: the switch lives here, so it holds on every instance and across restarts.

-- One row per job that has ever been paused or resumed; a job without a row runs on its schedule.
-- paused_at / paused_by / reason describe the pause in force (null while running); updated_by is who last
-- flipped the switch either way.
CREATE TABLE cron_schedules (
  job_name    text PRIMARY KEY,
  paused      boolean NOT NULL DEFAULT false,
  paused_at   timestamptz,
  paused_by   text,
  reason      text,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  updated_by  text,
  CHECK (paused = (paused_at IS NOT NULL))
);

-- A tick that came while its job was paused is still claimed (once, by the first instance), with outcome 'paused':
-- the operator sees which ticks were skipped, and the run history gets no row for them.
ALTER TABLE cron_schedule_ticks DROP CONSTRAINT cron_schedule_ticks_outcome_check;
ALTER TABLE cron_schedule_ticks ADD CONSTRAINT cron_schedule_ticks_outcome_check
  CHECK (outcome IN ('ran', 'failed', 'overlap', 'paused'));
