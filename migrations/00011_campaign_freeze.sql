-- +goose Up
-- Campaign freezing and the pre-send check (internal/campaign).
--
-- Freezing copies a campaign's recipients into the ledger in chunks walked
-- by contact id. The cursor is committed with each chunk, so a worker that
-- dies mid-way resumes after the last committed chunk and the skipped
-- counts stay exact; freeze_max is the highest contact id when the campaign
-- started, so contacts added later do not join a running campaign.
ALTER TABLE campaigns
  ADD COLUMN freeze_cursor  bigint NOT NULL DEFAULT 0,
  ADD COLUMN freeze_max     bigint NOT NULL DEFAULT 0;

-- "Previously not on WhatsApp": numbers whose earlier message failed with
-- 131026. Tiny (failures only), and lets the pre-send check and every
-- frozen chunk probe it per contact instead of scanning the ledger.
CREATE INDEX messages_undeliverable_idx ON messages (org_id, to_e164) WHERE error_code = 131026;

-- The report's failure reasons: failed messages of a campaign by code,
-- without reading the campaign's other (delivered) rows.
CREATE INDEX messages_campaign_failed_idx ON messages (org_id, campaign_id, error_code) WHERE status = 'failed' AND campaign_id IS NOT NULL;

-- +goose Down
DROP INDEX messages_campaign_failed_idx;
DROP INDEX messages_undeliverable_idx;
ALTER TABLE campaigns DROP COLUMN freeze_cursor, DROP COLUMN freeze_max;
