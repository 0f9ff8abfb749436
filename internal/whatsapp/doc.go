// Package whatsapp is the WhatsApp Business Cloud API client: sending
// template and text messages, managing message templates, reading a phone
// number's limits, verifying and parsing webhooks, and classifying Meta's
// error codes into what the sender should do next.
//
// Contract:
//   - It speaks exactly Meta's wire format (Graph API, see
//     shared/design/whatsapp-cloud-api.md); the base URL and version are
//     configuration, so the same code talks to graph.facebook.com in
//     production and to the local sandbox in dev, tests and benchmarks.
//   - No business rules (who may be messaged, when, how fast), no database,
//     no globals beyond buffer pools. Callers pass the access token on every
//     call because tokens belong to an org's connection, not to the process.
//   - It never logs. Error strings carry Meta's code, title and trace id but
//     never a token or an app secret, and long digit runs (phone numbers)
//     are masked in them, because callers do log errors.
//   - Errors are classified by Meta's error.code, never by HTTP status alone
//     (Meta's advice, and the status for throttling changed from 429 to 400).
//   - Nothing here imports echo, templ or anything from web/.
package whatsapp
