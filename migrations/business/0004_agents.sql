-- AI agents: per-agent settings, the durable task queue, proposals awaiting approval and the model spend budget.

-- One row per agent the business changed from its defaults (enabled, schedule, event triggers, settings).
CREATE TABLE agent_settings (
  agent_id    TEXT PRIMARY KEY,
  enabled     INTEGER NOT NULL CHECK (enabled IN (0, 1)),
  schedule    TEXT,
  triggers    TEXT NOT NULL DEFAULT '[]',
  settings    TEXT NOT NULL DEFAULT '{}',
  next_run_ms INTEGER,
  updated_at  TEXT NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX agent_settings_due ON agent_settings(next_run_ms) WHERE next_run_ms IS NOT NULL;

-- How far event triggers have read the business's event log (one row).
CREATE TABLE agent_trigger_cursor (
  id       INTEGER PRIMARY KEY CHECK (id = 1),
  last_seq INTEGER NOT NULL
) STRICT;

CREATE TABLE agent_tasks (
  seq           INTEGER PRIMARY KEY,
  id            TEXT NOT NULL UNIQUE,
  agent         TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('queued', 'running', 'awaiting_approval', 'succeeded', 'failed', 'cancelled')),
  priority      INTEGER NOT NULL DEFAULT 0,
  input         TEXT NOT NULL,
  result        TEXT,
  error         TEXT,
  attempts      INTEGER NOT NULL DEFAULT 0,
  max_attempts  INTEGER NOT NULL,
  run_after_ms  INTEGER NOT NULL,
  trigger       TEXT NOT NULL CHECK (trigger IN ('api', 'schedule', 'event')),
  requested_by  TEXT NOT NULL,
  model_calls   INTEGER NOT NULL DEFAULT 0,
  input_tokens  INTEGER NOT NULL DEFAULT 0,
  output_tokens INTEGER NOT NULL DEFAULT 0,
  cost_micros   INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  started_at    TEXT,
  finished_at   TEXT
) STRICT;
-- the queue: highest priority first, then oldest
CREATE INDEX agent_tasks_queue ON agent_tasks(status, priority DESC, seq);
CREATE INDEX agent_tasks_status_id ON agent_tasks(status, id);
CREATE INDEX agent_tasks_agent_id ON agent_tasks(agent, id);
CREATE INDEX agent_tasks_agent_status_id ON agent_tasks(agent, status, id);

-- What an agent wants done; applied exactly once on approval (or automatically when its policy allows).
CREATE TABLE agent_proposals (
  seq         INTEGER PRIMARY KEY,
  id          TEXT NOT NULL UNIQUE,
  task_id     TEXT NOT NULL REFERENCES agent_tasks(id),
  agent       TEXT NOT NULL,
  kind        TEXT NOT NULL,
  target_type TEXT NOT NULL,
  target_id   TEXT NOT NULL,
  summary     TEXT NOT NULL,
  payload     TEXT NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'rejected', 'expired', 'cancelled')),
  auto        INTEGER NOT NULL DEFAULT 0 CHECK (auto IN (0, 1)),
  created_at  TEXT NOT NULL,
  expires_at  TEXT NOT NULL,
  decided_at  TEXT,
  decided_by  TEXT
) STRICT;
CREATE INDEX agent_proposals_status_id ON agent_proposals(status, id);
CREATE INDEX agent_proposals_task ON agent_proposals(task_id, status, id);

-- Model spend per calendar month (UTC), in micro-dollars: reserved before a call, settled after.
CREATE TABLE agent_budget (
  period          TEXT PRIMARY KEY,
  reserved_micros INTEGER NOT NULL DEFAULT 0,
  spent_micros    INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

-- Messages approved for sending (collections reminders), delivered by the runtime's mail transport.
CREATE TABLE agent_outbox (
  seq             INTEGER PRIMARY KEY,
  id              TEXT NOT NULL UNIQUE,
  proposal_id     TEXT NOT NULL REFERENCES agent_proposals(id),
  to_address      TEXT NOT NULL,
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  status          TEXT NOT NULL CHECK (status IN ('pending', 'sent', 'failed')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  last_error      TEXT,
  next_attempt_ms INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL,
  sent_at         TEXT
) STRICT;
CREATE INDEX agent_outbox_pending ON agent_outbox(status, next_attempt_ms);
