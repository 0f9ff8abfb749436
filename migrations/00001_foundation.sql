-- +goose Up
-- Foundation: accounts, organisations (tenants), sessions, policies, rate
-- limiting and the audit log.
--
-- Roles: this file runs as the owner role. The runtime role (tidings_app)
-- and the privileged role (tidings_ops) are created by the bootstrap or the
-- DBA beforehand; they own nothing and get row privileges through the
-- default privileges below, so every later migration's tables are covered
-- without repeating GRANTs. TRUNCATE is never granted: it ignores RLS.
-- +goose StatementBegin
DO $$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidings_app')
     OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'tidings_ops') THEN
    RAISE EXCEPTION 'roles tidings_app and tidings_ops must exist before migrating (see README, "Production")';
  END IF;
END
$$;
-- +goose StatementEnd

ALTER DEFAULT PRIVILEGES GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO tidings_app, tidings_ops;
ALTER DEFAULT PRIVILEGES GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO tidings_app, tidings_ops;
-- goose made its version table before this file ran; the servers read it to
-- refuse to start while migrations are pending.
GRANT SELECT ON goose_db_version TO tidings_app, tidings_ops;

-- The tenant of the current transaction. Set only with
-- set_config('app.org_id', …, true) inside a transaction; after first use on
-- a pooled connection current_setting returns '' rather than NULL, hence
-- NULLIF. STABLE lets the planner evaluate it once per statement.
CREATE FUNCTION app_org_id() RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.org_id', true), '')::bigint $$;

-- The signed-in user of the current transaction, for the few policies that
-- let a person see their own rows in every organisation (their memberships).
CREATE FUNCTION app_user_id() RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT NULLIF(current_setting('app.user_id', true), '')::bigint $$;

-- Users are people, not tenant data: one login may belong to several orgs.
CREATE TABLE users (
  id                bigserial PRIMARY KEY,
  email             text NOT NULL,          -- stored lower-cased
  name              text NOT NULL,
  phone_e164        text NOT NULL,
  password_hash     text NOT NULL,
  time_zone         text NOT NULL DEFAULT 'UTC',
  email_verified_at timestamptz,
  disabled_at       timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_email_lower CHECK (email = lower(email))
);
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE orgs (
  id            bigserial PRIMARY KEY,
  org_id        bigint GENERATED ALWAYS AS (id) STORED, -- so the tenant key has one name everywhere
  name          text NOT NULL,
  industry      text NOT NULL,
  company_size  text NOT NULL,
  country       char(2) NOT NULL,
  time_zone     text NOT NULL,
  website       text NOT NULL DEFAULT '',
  suspended_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE memberships (
  org_id      bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role        text NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

CREATE TABLE invites (
  org_id       bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  id           bigserial,
  email        text NOT NULL CHECK (email = lower(email)),
  role         text NOT NULL CHECK (role IN ('admin', 'member')),
  token_hash   bytea NOT NULL,
  invited_by   bigint REFERENCES users (id) ON DELETE SET NULL,
  expires_at   timestamptz NOT NULL,
  accepted_at  timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);
CREATE UNIQUE INDEX invites_token_key ON invites (token_hash);

-- Server-side session data for gorilla/sessions. The cookie carries a
-- random id; only its SHA-256 is stored, so a leaked table cannot be
-- replayed as cookies.
CREATE TABLE sessions (
  id            bigserial PRIMARY KEY,
  token_hash    bytea NOT NULL UNIQUE,
  user_id       bigint REFERENCES users (id) ON DELETE CASCADE,
  data          jsonb NOT NULL DEFAULT '{}',
  ip            inet,
  user_agent    text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL,
  last_seen_at  timestamptz NOT NULL,
  expires_at    timestamptz NOT NULL,  -- absolute limit
  revoked_at    timestamptz
);
CREATE INDEX sessions_user_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- Single-use tokens e-mailed to a user (verification, password reset).
CREATE TABLE user_tokens (
  id          bigserial PRIMARY KEY,
  user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('verify_email', 'reset_password')),
  token_hash  bytea NOT NULL UNIQUE,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_tokens_user_idx ON user_tokens (user_id, purpose);

-- Terms and privacy policy versions; staff publish new ones later.
CREATE TABLE policy_versions (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL CHECK (kind IN ('terms', 'privacy')),
  version       int NOT NULL CHECK (version > 0),
  title         text NOT NULL,
  summary       text NOT NULL DEFAULT '',
  body          text NOT NULL,
  published_at  timestamptz NOT NULL DEFAULT now(),
  UNIQUE (kind, version)
);

-- Proof of each acceptance (policy §13): which version, when, from where.
CREATE TABLE policy_acceptances (
  user_id            bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  policy_version_id  bigint NOT NULL REFERENCES policy_versions (id),
  accepted_at        timestamptz NOT NULL,
  ip                 inet,
  user_agent         text NOT NULL DEFAULT '',
  PRIMARY KEY (user_id, policy_version_id)
);

-- The 18+ attestation (policy §12), kept as evidence.
CREATE TABLE age_attestations (
  user_id      bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  attested_at  timestamptz NOT NULL,
  ip           inet,
  user_agent   text NOT NULL DEFAULT ''
);

-- Login history shown to the user (policy §1.3).
CREATE TABLE login_events (
  id          bigserial PRIMARY KEY,
  user_id     bigint REFERENCES users (id) ON DELETE CASCADE,
  success     boolean NOT NULL,
  ip          inet,
  user_agent  text NOT NULL DEFAULT '',
  at          timestamptz NOT NULL
);
CREATE INDEX login_events_user_idx ON login_events (user_id, at DESC);

-- Sliding-window rate limiting shared by every web process. Keys are
-- keyed hashes, never raw e-mail addresses or IPs.
CREATE TABLE rate_events (
  bucket  text NOT NULL,
  key     bytea NOT NULL,
  at      timestamptz NOT NULL
);
CREATE INDEX rate_events_lookup_idx ON rate_events (bucket, key, at);
CREATE INDEX rate_events_at_idx ON rate_events (at);

-- Append-only record of what people did inside an organisation.
CREATE TABLE audit_log (
  org_id         bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  id             bigserial,
  actor_user_id  bigint REFERENCES users (id) ON DELETE SET NULL,
  action         text NOT NULL,
  target         text NOT NULL DEFAULT '',
  detail         jsonb NOT NULL DEFAULT '{}',
  ip             inet,
  at             timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id)
);

-- Row-level security: enabled AND forced (the owner would bypass it
-- otherwise), USING and WITH CHECK on every table with org_id, so a row can
-- neither be seen in nor moved to another organisation.
ALTER TABLE orgs ENABLE ROW LEVEL SECURITY;
ALTER TABLE orgs FORCE ROW LEVEL SECURITY;
-- A person may read the organisations they belong to (the org switcher);
-- they may change only the current one.
CREATE POLICY tenant ON orgs
  USING (org_id = app_org_id()
         OR id IN (SELECT m.org_id FROM memberships m WHERE m.user_id = app_user_id()))
  WITH CHECK (org_id = app_org_id());

ALTER TABLE memberships ENABLE ROW LEVEL SECURITY;
ALTER TABLE memberships FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON memberships
  USING (org_id = app_org_id() OR user_id = app_user_id())
  WITH CHECK (org_id = app_org_id());

ALTER TABLE invites ENABLE ROW LEVEL SECURITY;
ALTER TABLE invites FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON invites
  USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant ON audit_log
  USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id());

-- The audit log is append-only for everyone but its owner.
REVOKE UPDATE, DELETE ON audit_log FROM tidings_app, tidings_ops;

-- +goose Down
DROP TABLE audit_log, rate_events, login_events, age_attestations, policy_acceptances,
  policy_versions, user_tokens, sessions, invites, memberships, orgs, users;
DROP FUNCTION app_user_id();
DROP FUNCTION app_org_id();
