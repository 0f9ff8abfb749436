-- +goose Up
-- Fewer index entries per ledger status change (internal/delivery/sender.go).
--
-- Every message is updated twice by the sender (queued → sending at the
-- claim, sending → sent when the answer is recorded). Neither update can be
-- HOT: status is in the predicate of the partial indexes the claim, the
-- unknown marking and the failure report need, and PostgreSQL counts
-- predicate columns as indexed. So each update inserts a new entry into
-- every index whose predicate the new row version matches; the only lever
-- is how many indexes those are. (A lower fillfactor buys nothing here for
-- the same reason, and would make the million-row freeze write more pages.)
--
-- messages_queue_idx (org_id, connection_id, id) WHERE status = 'queued'
-- duplicated messages_claim_idx (org_id, connection_id, campaign_id, id)
-- WHERE status = 'queued', which serves the same prefix lookups; every
-- frozen or requeued row paid for both.
DROP INDEX messages_queue_idx;

-- A message has no wamid until WhatsApp accepts it, and every NULL took an
-- entry in the unique index (NULLs never conflict): the claim paid for one
-- per row and the freeze for one per recipient. Lookups by wamid (the
-- webhook processor, opt-out) name a wamid, so they use the partial index.
DROP INDEX messages_wamid_key;
CREATE UNIQUE INDEX messages_wamid_key ON messages (org_id, wamid) WHERE wamid IS NOT NULL;

-- +goose Down
DROP INDEX messages_wamid_key;
CREATE UNIQUE INDEX messages_wamid_key ON messages (org_id, wamid);
CREATE INDEX messages_queue_idx ON messages (org_id, connection_id, id) WHERE status = 'queued';
