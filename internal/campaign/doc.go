// Package campaign composes and starts WhatsApp campaigns: drafts with a
// template, a variable mapping and an audience; the pre-send check (who
// will receive it and who is skipped, and why); scheduling and allowed
// sending hours; pause, resume and cancel; and Start, which freezes the
// recipients into the message ledger (messages) with their rendered
// parameters.
//
// It never talks to WhatsApp: the sender (internal/delivery) claims the
// queued ledger rows of running campaigns. Every tenant query runs in
// db.Tenant.InOrg and names the org; the scheduler's cross-tenant scan is
// the one use of the privileged handle. Nothing here imports echo or templ.
//
// Contract with the sender:
//   - rows are inserted with status 'queued', kind 'template', the campaign's
//     frozen category/template_name/template_language, and params = JSON of
//     whatsapp.TemplateParams; connection_id is the org's connection.
//   - the sender claims only rows whose campaign is 'running' (a paused or
//     cancelled campaign sends nothing) and rows with campaign_id NULL
//     (test sends).
//   - campaign_stats: freezing adds each chunk's inserted rows to queued and
//     its skipped contacts to skipped; cancelling subtracts the rows it
//     cancels from queued. The pages read the counters as "messages
//     currently in this status" (a message moves from queued to sending to
//     sent to delivered to read, or to failed/unknown), so the sender and
//     the webhook processor should move a message's count from its old
//     status column to its new one; "sent" on the report is
//     sent + delivered + read. replied and opted_out are plain counters. Freezing sets campaigns.frozen at the end; the sender marks a
//     running campaign completed once it is frozen and nothing is queued or
//     sending (an audience with nobody to receive it is completed here).
//   - test sends are rows with campaign_id and contact_id NULL, status
//     'queued', to the user's own number; they count toward nobody's
//     frequency cap.
//   - sending hours: the scheduler's periodic job flips running ⇄ paused with
//     pause_reason PauseOutsideHours; the sender need not read the window.
package campaign
