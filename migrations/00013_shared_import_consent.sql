-- +goose Up
-- One consent event per import, shared by the contacts it created.
--
-- An attested import of a million new contacts wrote a million identical
-- ledger rows (same kind, source, attestation, actor and time; only the
-- contact differed): ≈ 3 s of the import's ≈ 12 s per million rows
-- (measured with make bench-import). Now the
-- import writes its event once, with no contact, and every contact it
-- creates points at it with contacts.import_event_id. The ledger stays
-- append-only: the shared row is never changed, and a contact's own later
-- events (opt-out, restriction, a team member's change) are rows of their
-- own as before.
--
-- A contact's ledger is therefore its own rows plus the shared row it
-- points at; contact_consent_events is that union, and every reader (the
-- timeline, the derived state, the data-subject export) reads it, never
-- consent_events directly. Rows written per contact before this migration
-- stay valid as they are. Erasing a contact deletes its own rows
-- (contact_erase_consent) and, with the contact, its pointer; the shared
-- row names no one, only the import, its attestation and who ran it.
ALTER TABLE contacts ADD COLUMN import_event_id bigint;

ALTER TABLE consent_events DROP CONSTRAINT consent_events_pkey;
ALTER TABLE consent_events ALTER COLUMN contact_id DROP NOT NULL;
ALTER TABLE consent_events ADD PRIMARY KEY (org_id, id);
CREATE INDEX consent_events_contact_idx ON consent_events (org_id, contact_id, id);
-- Only an import's own event has no contact.
ALTER TABLE consent_events ADD CONSTRAINT consent_events_shared_by_import
  CHECK (contact_id IS NOT NULL OR (source = 'import' AND import_id IS NOT NULL));

-- security_invoker: the reader's row-level security applies to both
-- tables, so the view shows the current organisation's rows only.
CREATE VIEW contact_consent_events WITH (security_invoker = true) AS
  SELECT org_id, contact_id, id, kind, source, lawful_basis, evidence, attestation_id, import_id, actor_user_id, at
  FROM consent_events WHERE contact_id IS NOT NULL
  UNION ALL
  SELECT c.org_id, c.id, e.id, e.kind, e.source, e.lawful_basis, e.evidence, e.attestation_id, e.import_id, e.actor_user_id, e.at
  FROM contacts c JOIN consent_events e ON e.org_id = c.org_id AND e.id = c.import_event_id;
REVOKE ALL ON contact_consent_events FROM tidings_app, tidings_ops;
GRANT SELECT ON contact_consent_events TO tidings_app, tidings_ops;

-- +goose Down
DROP VIEW contact_consent_events;
-- Give every contact that shared an event a row of its own again. The
-- owner is subject to row-level security too (it is forced), and this
-- moves every organisation's rows: lifted for this transaction only.
ALTER TABLE contacts NO FORCE ROW LEVEL SECURITY;
ALTER TABLE consent_events NO FORCE ROW LEVEL SECURITY;
INSERT INTO consent_events (org_id, contact_id, kind, source, lawful_basis, evidence, attestation_id, import_id, actor_user_id, at)
  SELECT c.org_id, c.id, e.kind, e.source, e.lawful_basis, e.evidence, e.attestation_id, e.import_id, e.actor_user_id, e.at
  FROM contacts c JOIN consent_events e ON e.org_id = c.org_id AND e.id = c.import_event_id;
DELETE FROM consent_events WHERE contact_id IS NULL;
ALTER TABLE consent_events FORCE ROW LEVEL SECURITY;
ALTER TABLE contacts FORCE ROW LEVEL SECURITY;
ALTER TABLE consent_events DROP CONSTRAINT consent_events_shared_by_import;
DROP INDEX consent_events_contact_idx;
ALTER TABLE consent_events DROP CONSTRAINT consent_events_pkey;
ALTER TABLE consent_events ALTER COLUMN contact_id SET NOT NULL;
ALTER TABLE consent_events ADD PRIMARY KEY (org_id, contact_id, id);
ALTER TABLE contacts DROP COLUMN import_event_id;
