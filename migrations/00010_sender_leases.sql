-- +goose Up
-- The sending engine (internal/delivery/sender.go).
--
-- Pacing lease: Meta's throughput cap is per phone number, so exactly one
-- worker process paces a given connection at a time. A process takes the
-- lease of a connection with due work, renews it while it sends, and lets it
-- lapse (or releases it) when done; a process killed with -9 loses it after
-- the lease time and another process carries on. Kept on wa_connections (one
-- row per number) rather than in a table of its own: it is one fact about
-- the number, and the row is already what the claim checks (stopped_at).
ALTER TABLE wa_connections
  ADD COLUMN send_lease_owner  text NOT NULL DEFAULT '',
  ADD COLUMN send_lease_until  timestamptz;

-- The claim reads one source at a time (one-off sends, campaign_id NULL,
-- then each running campaign) so that a paused campaign's million queued
-- rows are never scanned past on the way to a running one's.
CREATE INDEX messages_claim_idx ON messages (org_id, connection_id, campaign_id, id) WHERE status = 'queued';

-- Running campaigns, looked up every second by every worker (discovery,
-- completion); few rows, so a small partial index.
CREATE INDEX campaigns_running_idx ON campaigns (org_id, id) WHERE status = 'running';

-- +goose Down
DROP INDEX campaigns_running_idx;
DROP INDEX messages_claim_idx;
ALTER TABLE wa_connections DROP COLUMN send_lease_owner, DROP COLUMN send_lease_until;
