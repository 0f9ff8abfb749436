-- +goose Up
-- WhatsApp: each org's connected number, the durable webhook inbox, the
-- message ledger that statuses apply to, message templates, and what
-- arrives from people (inbound messages).

-- An org's WhatsApp Business number. Tokens and secrets are sealed with
-- AES-GCM by the application (secretbox: "<key id>:<base64>"), so a copy
-- of the table alone reveals none of them.
CREATE TABLE wa_connections (
  org_id                bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  id                    bigserial,
  waba_id               text NOT NULL,
  phone_number_id       text NOT NULL,
  api_base_url          text NOT NULL,
  api_version           text NOT NULL,
  access_token_sealed   text NOT NULL,
  app_secret_sealed     text NOT NULL,
  verify_token_sealed   text NOT NULL,
  -- The random public id in this connection's webhook URL; it names the
  -- app secret to check a POST's signature with before anything is parsed.
  webhook_key           text NOT NULL,
  display_phone_number  text NOT NULL DEFAULT '',
  verified_name         text NOT NULL DEFAULT '',
  quality_rating        text NOT NULL DEFAULT '',
  messaging_limit_tier  text NOT NULL DEFAULT '',
  throughput_level      text NOT NULL DEFAULT '',
  checked_at            timestamptz,
  -- Set when Meta refuses our credentials: nothing is sent until fixed.
  stopped_at            timestamptz,
  stop_reason           text NOT NULL DEFAULT '',
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id)  -- one number per org for now
);
-- Meta's phone-number ids are unique across the platform: webhook events
-- are routed to their org by it.
CREATE UNIQUE INDEX wa_connections_phone_number_key ON wa_connections (phone_number_id);
CREATE UNIQUE INDEX wa_connections_webhook_key ON wa_connections (webhook_key);

-- Every accepted webhook POST, written (in grouped commits) before we
-- answer 200. Not tenant data yet: a worker routes each to its org.
-- Raw bodies hold phone numbers and names, so they are purged after the
-- retention period.
CREATE TABLE webhook_inbox (
  id             bigserial PRIMARY KEY,
  webhook_key    text NOT NULL,
  body           bytea NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now(),
  processed_at   timestamptz,
  -- Set when the body could not be understood: kept for a human to look at.
  problem        text NOT NULL DEFAULT ''
);
CREATE INDEX webhook_inbox_pending_idx ON webhook_inbox (id) WHERE processed_at IS NULL;
CREATE INDEX webhook_inbox_received_idx ON webhook_inbox (received_at);

-- The message ledger: one row per message we send. Campaigns extend it.
CREATE TABLE messages (
  org_id         bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  id             bigserial,
  connection_id  bigint NOT NULL,
  to_e164        text NOT NULL,
  wamid          text,
  status         text NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'failed', 'unknown')),
  error_code     int,
  error_title    text NOT NULL DEFAULT '',
  sent_at        timestamptz,
  delivered_at   timestamptz,
  read_at        timestamptz,
  failed_at      timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  FOREIGN KEY (org_id, connection_id) REFERENCES wa_connections (org_id, id)
);
CREATE UNIQUE INDEX messages_wamid_key ON messages (org_id, wamid);

-- Each (message, status) seen once: a redelivered webhook changes nothing.
CREATE TABLE message_status_events (
  org_id      bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  wamid       text NOT NULL,
  status      text NOT NULL,
  message_id  bigint,
  error_code  int,
  at          timestamptz NOT NULL,
  PRIMARY KEY (org_id, wamid, status)
);

-- What people send to an org's number (replies, STOP, button taps).
CREATE TABLE inbound_messages (
  org_id         bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  id             bigserial,
  connection_id  bigint NOT NULL,
  wamid          text NOT NULL,
  from_e164      text NOT NULL,
  profile_name   text NOT NULL DEFAULT '',
  kind           text NOT NULL,
  body           text NOT NULL DEFAULT '',
  payload        text NOT NULL DEFAULT '',
  sent_at        timestamptz NOT NULL,
  received_at    timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, wamid)
);

-- Message templates as Meta knows them; synced and updated by webhooks.
CREATE TABLE wa_templates (
  org_id           bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  id               bigserial,
  connection_id    bigint NOT NULL,
  meta_id          text NOT NULL,
  name             text NOT NULL,
  language         text NOT NULL,
  category         text NOT NULL DEFAULT '',
  status           text NOT NULL DEFAULT '',
  quality          text NOT NULL DEFAULT '',
  reason           text NOT NULL DEFAULT '',
  components       jsonb NOT NULL DEFAULT '[]',
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (org_id, id),
  UNIQUE (org_id, meta_id)
);

-- Number quality changes, for the dashboard and abuse monitoring.
CREATE TABLE wa_quality_events (
  org_id         bigint NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
  id             bigserial,
  connection_id  bigint NOT NULL,
  event          text NOT NULL,
  limit_tier     text NOT NULL DEFAULT '',
  at             timestamptz NOT NULL,
  PRIMARY KEY (org_id, id)
);

-- +goose StatementBegin
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['wa_connections', 'messages', 'message_status_events', 'inbound_messages', 'wa_templates', 'wa_quality_events'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant ON %I USING (org_id = app_org_id()) WITH CHECK (org_id = app_org_id())', t);
  END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE wa_quality_events, wa_templates, inbound_messages, message_status_events, messages, webhook_inbox, wa_connections;
