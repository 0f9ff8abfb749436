package delivery

import (
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"tidings/internal/contact"
	"tidings/internal/whatsapp"
)

// Inbound replies: opt-out and opt-in keywords, quick-reply payloads that
// mean "stop", and the "replied" figure of campaigns.
//
// A reply is applied in the same transaction that stores it, and only the
// first time its wamid is seen: every statement below is keyed by the
// reply's wamid (the consent event's evidence names it, the confirmation
// is written only with a new event, replied_at is set only once), so a
// redelivered webhook changes nothing.

// Defaults of org_send_settings (migrations/00007), for orgs that never
// saved their sending settings.
const (
	defaultOptOutConfirmation = "You will no longer receive messages from us. Reply START to subscribe again."
	defaultOptInConfirmation  = "You are subscribed again. Reply STOP to unsubscribe."
)

// replyAttribution bounds how long after a campaign message a reply still
// counts as a reply to it (for the "replied" and "opted out" figures).
const replyAttribution = "7 days"

// sendSettings are an org's reply rules, loaded with its connection.
type sendSettings struct {
	optOut, optIn, payloads []string // optOut and optIn normalised
	optOutText, optInText   string
}

func newSendSettings(optOut, optIn, payloads []string, optOutText, optInText *string) *sendSettings {
	s := &sendSettings{optOutText: defaultOptOutConfirmation, optInText: defaultOptInConfirmation}
	for _, k := range optOut {
		if k = contact.NormalizeKeyword(k); k != "" {
			s.optOut = append(s.optOut, k)
		}
	}
	for _, k := range optIn {
		if k = contact.NormalizeKeyword(k); k != "" {
			s.optIn = append(s.optIn, k)
		}
	}
	for _, p := range payloads {
		if p = strings.TrimSpace(p); p != "" {
			s.payloads = append(s.payloads, p)
		}
	}
	if optOutText != nil {
		s.optOutText = *optOutText
	}
	if optInText != nil {
		s.optInText = *optInText
	}
	return s
}

// Intent is what a reply asks for.
type Intent int

// Intents.
const (
	IntentNone Intent = iota
	IntentOptOut
	IntentOptIn
)

// classify reads a reply: a keyword in its text (or the label of the
// button tapped), or a quick-reply payload the org mapped to opt-out. An
// opt-out keyword wins when a word is in both lists.
func (s *sendSettings) classify(m *whatsapp.InboundMessage) Intent {
	for _, p := range []string{m.ButtonPayload, m.ReplyID} {
		if p != "" && slices.Contains(s.payloads, strings.TrimSpace(p)) {
			return IntentOptOut
		}
	}
	var text string
	switch m.Type {
	case "text":
		text = m.Text
	case "button":
		text = m.ButtonText
	case "interactive":
		text = m.ReplyTitle
	default:
		return IntentNone
	}
	w := contact.NormalizeKeyword(text)
	switch {
	case w == "":
		return IntentNone
	case slices.Contains(contact.OptOutWords, w) || slices.Contains(s.optOut, w):
		return IntentOptOut
	case slices.Contains(contact.OptInWords, w) || slices.Contains(s.optIn, w):
		return IntentOptIn
	}
	return IntentNone
}

// queueReply adds what an inbound message means beyond being stored: a
// consent event and its confirmation for a keyword, and the "replied"
// mark on the campaign message it answers.
func queueReply(b *pgx.Batch, r connRoute, m *whatsapp.InboundMessage) {
	if m.Type == "system" || m.Type == "unsupported" || m.From == "" || m.WAMID == "" {
		return
	}
	settings := r.send
	if settings == nil {
		settings = newSendSettings(nil, nil, nil, nil, nil)
	}
	from := "+" + strings.TrimPrefix(m.From, "+")
	at := unix(m.Timestamp)
	switch settings.classify(m) {
	case IntentOptOut:
		queueConsent(b, r, from, "opt_out", "replied "+replyWord(m)+" on WhatsApp ("+m.WAMID+")", settings.optOutText, at)
	case IntentOptIn:
		queueConsent(b, r, from, "opt_in", "replied "+replyWord(m)+" on WhatsApp ("+m.WAMID+")", settings.optInText, at)
	}
	// The first reply to a campaign message marks it and counts once for
	// its campaign. The message replied to is the one the reply quotes
	// (a button tap names it), else the latest campaign message sent to
	// that number within the attribution window.
	b.Queue(`WITH target AS (
			SELECT id, campaign_id FROM (
				SELECT m.id, m.campaign_id, 0 AS prio, m.created_at FROM messages m
				WHERE m.org_id = $1 AND m.campaign_id IS NOT NULL AND $4::text <> '' AND m.wamid = $4::text
				UNION ALL
				SELECT m.id, m.campaign_id, 1, m.created_at FROM contacts c
				JOIN messages m ON m.org_id = c.org_id AND m.contact_id = c.id
				WHERE c.org_id = $1 AND c.phone_e164 = $2::text
				  AND m.campaign_id IS NOT NULL AND m.wamid IS NOT NULL AND m.status <> 'failed'
				  AND m.created_at <= $3::timestamptz AND m.created_at > $3::timestamptz - interval '`+replyAttribution+`'
			) t ORDER BY prio, created_at DESC, id DESC LIMIT 1
		), marked AS (
			UPDATE messages m SET replied_at = $3::timestamptz, updated_at = now()
			FROM target WHERE m.org_id = $1 AND m.id = target.id AND m.replied_at IS NULL
			RETURNING m.campaign_id
		)
		INSERT INTO campaign_stats (org_id, campaign_id, replied) SELECT $1, campaign_id, 1 FROM marked
		ON CONFLICT (org_id, campaign_id) DO UPDATE SET replied = campaign_stats.replied + 1, updated_at = now()`,
		r.orgID, from, at, m.ContextWAMID)
}

func replyWord(m *whatsapp.InboundMessage) string {
	w := firstNonEmpty(m.Text, m.ButtonText, m.ReplyTitle)
	if m.Type != "text" {
		w = firstNonEmpty(w, m.ButtonPayload, m.ReplyID)
	}
	return `"` + truncate(strings.TrimSpace(w), 40) + `"`
}

// queueConsent appends the contact's own opt-out or opt-in, refreshes its
// consent state, queues the confirmation, and for an opt-out that changed
// the state counts it for the campaign that last messaged the contact.
//
// The confirmation is a ledger row (kind 'text', no campaign, params
// {"body": …, "purpose": "opt_out_confirmation" | "opt_in_confirmation"})
// for the sender to post. It answers the person inside the service window
// their reply opened, so the sender must not skip it for being opted out.
//
// A number that is not a contact: an opt-out still creates a contact with
// only the number and the opt-out, because the opt-out must hold if the
// business later imports or types in that number (an opt-out always wins
// over imports; see contact.DeriveConsent), and WhatsApp's policy asks us
// to honour every stop request. We store nothing else about the person
// (not the profile name), and the inbound message is the evidence. An
// opt-in from an unknown number creates nothing: who may be messaged is the
// business's decision, made with the consent attestation of an import or a
// form.
func queueConsent(b *pgx.Batch, r connRoute, from, kind, evidence, confirmation string, at time.Time) {
	if kind == "opt_out" {
		b.Queue(`INSERT INTO contacts (org_id, phone_e164, created_at, updated_at) VALUES ($1, $2::text, $3::timestamptz, $3::timestamptz)
			ON CONFLICT (org_id, phone_e164) DO NOTHING`, r.orgID, from, at)
	}
	// The event once per reply (its evidence names the wamid); the
	// confirmation and the campaign's opted_out count only with a new
	// event. "before" is the contact's state before this reply.
	b.Queue(`WITH c AS (
			SELECT id, consent_state AS before FROM contacts WHERE org_id = $1 AND phone_e164 = $2::text
		), ev AS (
			INSERT INTO consent_events (org_id, contact_id, kind, source, evidence, at)
			SELECT $1, c.id, $4::text, 'contact', $5::text, $6::timestamptz FROM c
			WHERE NOT EXISTS (SELECT 1 FROM consent_events e
				WHERE e.org_id = $1 AND e.contact_id = c.id AND e.source = 'contact' AND e.evidence = $5::text)
			RETURNING contact_id
		), confirm AS (
			INSERT INTO messages (org_id, connection_id, to_e164, contact_id, kind, params, status)
			SELECT $1, $3, $2::text, ev.contact_id, 'text', jsonb_build_object('body', $7::text, 'purpose', $4::text || '_confirmation'), 'queued' FROM ev
			WHERE $7::text <> ''
		), last AS (
			SELECT m.campaign_id FROM ev JOIN c ON c.id = ev.contact_id
			JOIN messages m ON m.org_id = $1 AND m.contact_id = c.id
			WHERE $4::text = 'opt_out' AND c.before <> 'opted_out'
			  AND m.campaign_id IS NOT NULL AND m.wamid IS NOT NULL
			  AND m.created_at <= $6::timestamptz AND m.created_at > $6::timestamptz - interval '`+replyAttribution+`'
			ORDER BY m.created_at DESC, m.id DESC LIMIT 1
		)
		INSERT INTO campaign_stats (org_id, campaign_id, opted_out) SELECT $1, campaign_id, 1 FROM last
		ON CONFLICT (org_id, campaign_id) DO UPDATE SET opted_out = campaign_stats.opted_out + 1, updated_at = now()`,
		r.orgID, from, r.connID, kind, evidence, at, confirmation)
	// The same rule as contact.DeriveConsent (and the contact package's
	// refreshConsentSQL, which TestDeriveConsentMatchesSQL holds to it):
	// an opt-out wins over any opt-in except a later one by the contact.
	b.Queue(`UPDATE contacts c SET consent_state = d.state, restricted = d.restricted, updated_at = now()
		FROM (
		  SELECT contact_id,
		    CASE WHEN max(at) FILTER (WHERE kind = 'opt_out') IS NOT NULL
		          AND coalesce(max(at) FILTER (WHERE kind = 'opt_in' AND source = 'contact')
		                         <= max(at) FILTER (WHERE kind = 'opt_out'), true)
		         THEN 'opted_out'
		         WHEN bool_or(kind = 'opt_in') THEN 'opted_in'
		         ELSE 'unknown' END AS state,
		    coalesce(max(at) FILTER (WHERE kind = 'restricted') >= max(at) FILTER (WHERE kind = 'unrestricted'),
		             max(at) FILTER (WHERE kind = 'restricted') IS NOT NULL) AS restricted
		  FROM contact_consent_events
		  WHERE org_id = $1 AND contact_id = (SELECT id FROM contacts WHERE org_id = $1 AND phone_e164 = $2::text)
		  GROUP BY contact_id
		) d
		WHERE c.org_id = $1 AND c.id = d.contact_id
		  AND (c.consent_state, c.restricted) IS DISTINCT FROM (d.state, d.restricted)`,
		r.orgID, from)
}
