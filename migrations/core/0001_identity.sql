-- Identity: who people are, how they sign in, which businesses exist and who belongs to them.
CREATE TABLE users (
  id            TEXT PRIMARY KEY,
  email         TEXT NOT NULL UNIQUE,          -- stored trimmed and lower-cased
  name          TEXT NOT NULL,
  password_hash TEXT NOT NULL,                 -- self-describing: algorithm, parameters, salt, hash
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL
) STRICT;

-- One session per login; it is the family of every refresh token descended from that login.
CREATE TABLE sessions (
  id             TEXT PRIMARY KEY,
  user_id        TEXT NOT NULL REFERENCES users(id),
  created_at     TEXT NOT NULL,
  expires_at     TEXT NOT NULL,
  revoked_at     TEXT,
  revoked_reason TEXT
) STRICT;
CREATE INDEX sessions_by_user ON sessions(user_id);

CREATE TABLE refresh_tokens (
  token_hash TEXT PRIMARY KEY,                 -- SHA-256 of the opaque token; the token itself is never stored
  session_id TEXT NOT NULL REFERENCES sessions(id),
  created_at TEXT NOT NULL,
  used_at    TEXT
) STRICT;
CREATE INDEX refresh_tokens_by_session ON refresh_tokens(session_id);

CREATE TABLE businesses (
  id            TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  base_currency TEXT NOT NULL,
  created_by    TEXT NOT NULL REFERENCES users(id),
  created_at    TEXT NOT NULL,
  updated_at    TEXT NOT NULL,
  deleted_at    TEXT
) STRICT;

CREATE TABLE memberships (
  business_id TEXT NOT NULL REFERENCES businesses(id),
  user_id     TEXT NOT NULL REFERENCES users(id),
  role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'accountant', 'sales', 'viewer')),
  created_at  TEXT NOT NULL,
  updated_at  TEXT NOT NULL,
  PRIMARY KEY (business_id, user_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX memberships_by_user ON memberships(user_id, business_id);

CREATE TABLE api_keys (
  id           TEXT PRIMARY KEY,
  business_id  TEXT NOT NULL REFERENCES businesses(id),
  name         TEXT NOT NULL,
  role         TEXT NOT NULL CHECK (role IN ('admin', 'accountant', 'sales', 'viewer')),
  secret_hash  TEXT NOT NULL,                  -- SHA-256 of the secret part; shown to the creator once
  created_by   TEXT NOT NULL REFERENCES users(id),
  created_at   TEXT NOT NULL,
  revoked_at   TEXT
) STRICT;
CREATE INDEX api_keys_by_business ON api_keys(business_id, id);
