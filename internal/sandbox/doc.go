// Package sandbox is a local stand-in for Meta's WhatsApp Business Cloud API
// (Graph API). It serves the same routes, answers with the same JSON shapes
// and error envelopes, checks requests in Meta's order, and reports outcomes
// the way Meta does: asynchronously, by signed webhooks that may be retried,
// batched, duplicated and reordered. The design reference is
// shared/design/whatsapp-cloud-api.md (§9 is the checklist this follows).
//
// The contract:
//   - client code pointed at the sandbox's base URL instead of
//     https://graph.facebook.com sees the same requests, responses, errors and
//     webhooks; nothing in the client may need to know it is talking to us;
//   - the send path never waits on webhook delivery: outcomes are scheduled
//     on sharded timers and delivered by a bounded pool of workers;
//   - every accepted send is appended to an append-only ledger that tests and
//     benchmarks use as the oracle (duplicates, losses);
//   - everything under /_sandbox/ is test and development tooling (control
//     API, fake phone); it has no counterpart at Meta and must never be
//     exposed in production.
//
// The package is deliberately independent of internal/whatsapp: it has its own
// types, so it checks the client instead of mirroring its assumptions. It uses
// the standard library only, and never logs tokens, app secrets or whole phone
// numbers.
package sandbox
