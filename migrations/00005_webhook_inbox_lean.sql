-- +goose Up
-- Every stored webhook body paid for three index entries on the hot,
-- commit-bound ingestion path. The received_at index served only the
-- nightly retention purge, which can afford a scan of processed rows;
-- dropping it makes each grouped commit lighter.
DROP INDEX webhook_inbox_received_idx;

-- +goose Down
CREATE INDEX webhook_inbox_received_idx ON webhook_inbox (received_at);
