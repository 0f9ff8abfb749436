package whatsapp

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// MaxWebhookBody is the largest webhook body the handler should read.
// Meta documents payloads of up to 3 MB (doc §3.2; the issue suggested
// 1 MiB, the doc wins): a smaller cap would refuse real batches, and Meta
// would retry them for days. The extra MiB is headroom, not a promise.
const MaxWebhookBody = 4 << 20

// ErrWebhookTooLarge is returned by ParseWebhook for bodies over MaxWebhookBody.
var ErrWebhookTooLarge = errors.New("whatsapp: webhook body too large")

// VerifySignature checks X-Hub-Signature-256 ("sha256=<hex>") against an
// HMAC-SHA256 of the raw body keyed with the app secret (doc §3.2). The
// HMAC covers the bytes exactly as received — Meta escapes non-ASCII as
// \uXXXX before signing, so a decoded and re-encoded body would not match.
// A missing or malformed header, or an empty secret, is never valid.
func VerifySignature(appSecret string, rawBody []byte, header string) bool {
	const prefix = "sha256="
	header = strings.TrimSpace(header)
	if appSecret == "" || len(header) != len(prefix)+2*sha256.Size || !strings.EqualFold(header[:len(prefix)], prefix) {
		return false
	}
	var got [sha256.Size]byte
	if _, err := hex.Decode(got[:], []byte(header[len(prefix):])); err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(rawBody)
	return hmac.Equal(got[:], mac.Sum(nil))
}

// VerifyHandshake answers Meta's subscription GET (doc §3.1): with
// hub.mode=subscribe and the right hub.verify_token it returns the
// hub.challenge to echo as the body of a 200; otherwise ok is false and the
// handler should answer 403. The challenge is Meta's number; anything that
// isn't a short token of safe characters is refused, so the echo can't be
// used to reflect markup.
func VerifyHandshake(q url.Values, verifyToken string) (challenge string, ok bool) {
	if verifyToken == "" || q.Get("hub.mode") != "subscribe" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return "", false
	}
	challenge = q.Get("hub.challenge")
	if challenge == "" || len(challenge) > 256 {
		return "", false
	}
	for i := 0; i < len(challenge); i++ {
		c := challenge[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '_' || c == '.') {
			return "", false
		}
	}
	return challenge, true
}

// StatusRank orders delivery statuses so they can be applied monotonically
// whatever order the webhooks arrive in (doc §3.3, §3.5, §10): sent <
// failed < delivered < read < played. failed outranks sent (it can arrive
// after sent) but not delivered or read, because a later delivered/read
// overrides it. Anything else (deleted, warning, typos) is 0: ignore it.
func StatusRank(s string) int {
	switch s {
	case "sent":
		return 1
	case "failed":
		return 2
	case "delivered":
		return 3
	case "read":
		return 4
	case "played":
		return 5 // first play of a voice message: after read
	}
	return 0
}

// Kind is what an Event carries.
type Kind string

// Event kinds.
const (
	KindStatus         Kind = "status"          // statuses[]: delivery of our message
	KindMessage        Kind = "message"         // messages[]: something a person sent us
	KindError          Kind = "error"           // value.errors[]: a system or account-level error
	KindTemplateStatus Kind = "template_status" // message_template_status_update
	KindPhoneQuality   Kind = "phone_quality"   // phone_number_quality_update
	KindUserPreference Kind = "user_preference" // user_preferences: marketing stop/resume
	KindUnknown        Kind = "unknown"         // anything else, kept raw
)

// Envelope is a parsed webhook POST body (doc §3.4).
type Envelope struct {
	// Object is "whatsapp_business_account" for WhatsApp webhooks.
	Object  string
	Entries []Entry
	events  []Event
}

// Entry is one entry[]: the changes of one WABA.
type Entry struct {
	WABAID string
	// Time is entry.time (unix seconds), which only some fields carry.
	Time    int64
	Changes []Change
}

// Change is one changes[] item as received.
type Change struct {
	Field string
	Value json.RawMessage
}

// Events flattens the envelope into one Event per status, inbound
// message, error or update, in payload order.
func (e Envelope) Events() []Event { return e.events }

// Event is one thing that happened. Kind says which pointer is set.
type Event struct {
	Kind  Kind
	Field string
	// WABAID is the entry id. PhoneNumberID and DisplayPhoneNumber come from
	// value.metadata (messages fields) or the value itself (quality updates).
	WABAID             string
	PhoneNumberID      string
	DisplayPhoneNumber string
	// Time is entry.time when Meta sent one (template, quality, account
	// fields); statuses and messages carry their own Timestamp.
	Time int64

	Status     *StatusUpdate
	Message    *InboundMessage
	Template   *TemplateUpdate
	Quality    *QualityUpdate
	Preference *PreferenceUpdate
	// Errors are value.errors[] for KindError.
	Errors []ErrorDetail

	// Raw is the change's value for KindUnknown ("null" if it had none).
	Raw json.RawMessage
	// Err says why a known field could not be read (KindUnknown only); it
	// is nil when the field is simply one this package doesn't handle.
	Err error
}

// StatusUpdate reports the delivery of one outbound message (doc §3.5).
type StatusUpdate struct {
	WAMID string
	// Status is sent, delivered, read, failed or played; see StatusRank.
	Status    string
	Timestamp int64
	// RecipientID is the recipient's WhatsApp id (a phone number).
	RecipientID string
	// BizOpaqueCallbackData is what the send set (our ledger id).
	BizOpaqueCallbackData string
	// Errors explain a failed status.
	Errors       []ErrorDetail
	Pricing      *Pricing
	Conversation *Conversation
}

// Pricing is how a message is billed (per-message pricing since July 2025).
type Pricing struct {
	Billable     bool
	PricingModel string // PMP (or CBP on old conversations)
	Type         string // regular, free_customer_service, free_entry_point
	Category     string // marketing, utility, authentication, service, …
}

// Conversation is present on v23 and older, and on v24+ only inside a
// free-entry-point window.
type Conversation struct {
	ID                  string
	ExpirationTimestamp int64
	OriginType          string
}

// ErrorDetail is one error in a webhook (status errors, value.errors[],
// unsupported inbound messages).
type ErrorDetail struct {
	Code    int
	Title   string
	Message string
	Details string
	Href    string
}

// Class classifies an asynchronous error by its code.
func (d ErrorDetail) Class() Class { return ClassifyCode(d.Code, 0) }

// InboundMessage is one message a person sent the business (doc §3.6).
type InboundMessage struct {
	// From is the sender's WhatsApp id (a phone number).
	From      string
	WAMID     string
	Timestamp int64
	// Type is text, button, interactive, image, document, …, system or
	// unsupported.
	Type string
	// Text is text.body.
	Text string
	// ButtonPayload and ButtonText are a template quick-reply tap.
	ButtonPayload, ButtonText string
	// ReplyID and ReplyTitle are an interactive button_reply or list_reply.
	ReplyID, ReplyTitle string
	// ContextWAMID is the message this one replies to (e.g. the template
	// whose button was tapped).
	ContextWAMID string
	// MediaID, MIMEType and Caption describe image, video, audio, document
	// and sticker messages.
	MediaID, MIMEType, Caption string
	// ContactName is the sender's WhatsApp profile name from contacts[].
	ContactName string
	Errors      []ErrorDetail
}

// TemplateUpdate is a message_template_status_update (doc §3.8).
type TemplateUpdate struct {
	TemplateID string
	Name       string
	Language   string
	// Event is APPROVED, REJECTED, PAUSED, DISABLED, …
	Event string
	// Reason explains a rejection (NONE when there is none).
	Reason   string
	Category string
	// Title and Description come from other_info on pauses and unpauses
	// (FIRST_PAUSE, SECOND_PAUSE, …).
	Title, Description string
}

// QualityUpdate is a phone_number_quality_update (doc §3.8).
type QualityUpdate struct {
	// Event is e.g. ONBOARDING or THROUGHPUT_UPGRADE.
	Event string
	// MaxDailyConversations is max_daily_conversations_per_business
	// (TIER_250 … TIER_UNLIMITED); CurrentLimit and OldLimit are the
	// deprecated fields, kept while Meta still sends them.
	MaxDailyConversations string
	CurrentLimit          string
	OldLimit              string
}

// PreferenceUpdate is one user_preferences item: a person stopped or
// resumed marketing messages inside WhatsApp (doc §3.8, §7.2).
type PreferenceUpdate struct {
	WAID      string
	Category  string // marketing_messages
	Value     string // stop or resume
	Detail    string
	Timestamp int64
}

// ParseWebhook parses a webhook POST body. Only a body that is not the
// documented envelope is an error; a change this package can't read, or a
// field it doesn't know, becomes a KindUnknown event, so one odd item never
// makes Meta retry (and re-deliver) a whole batch.
func ParseWebhook(rawBody []byte) (Envelope, error) {
	if len(rawBody) > MaxWebhookBody {
		return Envelope{}, ErrWebhookTooLarge
	}
	var w struct {
		Object string `json:"object"`
		Entry  []struct {
			ID      flexString `json:"id"`
			Time    flexInt64  `json:"time"`
			Changes []struct {
				Field string          `json:"field"`
				Value json.RawMessage `json:"value"`
			} `json:"changes"`
		} `json:"entry"`
	}
	if err := json.Unmarshal(rawBody, &w); err != nil {
		return Envelope{}, fmt.Errorf("whatsapp: parse webhook: %w", err)
	}
	env := Envelope{Object: w.Object, Entries: make([]Entry, len(w.Entry))}
	for i, we := range w.Entry {
		entry := Entry{WABAID: string(we.ID), Time: int64(we.Time), Changes: make([]Change, len(we.Changes))}
		for j, wc := range we.Changes {
			entry.Changes[j] = Change{Field: wc.Field, Value: wc.Value}
			base := Event{Field: wc.Field, WABAID: entry.WABAID, Time: entry.Time}
			env.events = appendChangeEvents(env.events, base, wc.Value)
		}
		env.Entries[i] = entry
	}
	return env, nil
}

// appendChangeEvents decodes one change by its field.
func appendChangeEvents(evs []Event, base Event, raw json.RawMessage) []Event {
	n := len(evs)
	var err error
	switch base.Field {
	case "messages":
		evs, err = appendMessagesEvents(evs, base, raw)
	case "message_template_status_update":
		var v wireTemplateUpdate
		if err = json.Unmarshal(raw, &v); err == nil {
			ev := base
			ev.Kind = KindTemplateStatus
			ev.Template = &TemplateUpdate{
				TemplateID: string(v.ID), Name: v.Name, Language: v.Language,
				Event: v.Event, Reason: v.Reason, Category: v.Category,
				Title: v.OtherInfo.Title, Description: v.OtherInfo.Description,
			}
			evs = append(evs, ev)
		}
	case "phone_number_quality_update":
		var v wireQualityUpdate
		if err = json.Unmarshal(raw, &v); err == nil {
			ev := base
			ev.Kind = KindPhoneQuality
			ev.DisplayPhoneNumber = string(v.DisplayPhoneNumber)
			ev.Quality = &QualityUpdate{
				Event: v.Event, MaxDailyConversations: v.MaxDaily,
				CurrentLimit: v.CurrentLimit, OldLimit: v.OldLimit,
			}
			evs = append(evs, ev)
		}
	case "user_preferences":
		var v wireUserPreferences
		if err = json.Unmarshal(raw, &v); err == nil {
			prefs := make([]PreferenceUpdate, len(v.Preferences))
			for i, p := range v.Preferences {
				prefs[i] = PreferenceUpdate{WAID: string(p.WAID), Category: p.Category, Value: p.Value, Detail: p.Detail, Timestamp: int64(p.Timestamp)}
				ev := base
				ev.Kind = KindUserPreference
				ev.PhoneNumberID, ev.DisplayPhoneNumber = string(v.Metadata.PhoneNumberID), string(v.Metadata.DisplayPhoneNumber)
				ev.Preference = &prefs[i]
				evs = append(evs, ev)
			}
		}
	}
	if err != nil {
		evs = evs[:n]
	}
	if len(evs) == n {
		// An unknown field, an unreadable value, or a known field that held
		// nothing we recognise: keep it, flagged, rather than drop it.
		ev := base
		ev.Kind = KindUnknown
		ev.Raw = raw
		if len(bytes.TrimSpace(ev.Raw)) == 0 {
			ev.Raw = json.RawMessage("null")
		}
		if err != nil {
			ev.Err = fmt.Errorf("whatsapp: parse webhook field %q: %w", base.Field, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

func appendMessagesEvents(evs []Event, base Event, raw json.RawMessage) ([]Event, error) {
	var v wireMessagesValue
	if err := json.Unmarshal(raw, &v); err != nil {
		return evs, err
	}
	base.PhoneNumberID = string(v.Metadata.PhoneNumberID)
	base.DisplayPhoneNumber = string(v.Metadata.DisplayPhoneNumber)

	// One allocation per kind rather than one per event: status batches can
	// hold hundreds of items.
	if len(v.Statuses) > 0 {
		sts := make([]StatusUpdate, len(v.Statuses))
		for i := range v.Statuses {
			ws := &v.Statuses[i]
			sts[i] = StatusUpdate{
				WAMID: ws.ID, Status: ws.Status, Timestamp: int64(ws.Timestamp),
				RecipientID: string(ws.RecipientID), BizOpaqueCallbackData: ws.BizOpaqueCallbackData,
				Errors: flattenErrors(ws.Errors),
			}
			if p := ws.Pricing; p != nil {
				sts[i].Pricing = &Pricing{Billable: p.Billable, PricingModel: p.PricingModel, Type: p.Type, Category: p.Category}
			}
			if c := ws.Conversation; c != nil {
				sts[i].Conversation = &Conversation{ID: c.ID, ExpirationTimestamp: int64(c.ExpirationTimestamp), OriginType: c.Origin.Type}
			}
			ev := base
			ev.Kind = KindStatus
			ev.Status = &sts[i]
			evs = append(evs, ev)
		}
	}
	if len(v.Messages) > 0 {
		msgs := make([]InboundMessage, len(v.Messages))
		for i := range v.Messages {
			wm := &v.Messages[i]
			m := &msgs[i]
			*m = InboundMessage{
				From: string(wm.From), WAMID: wm.ID, Timestamp: int64(wm.Timestamp), Type: wm.Type,
				Text: wm.Text.Body, ButtonPayload: wm.Button.Payload, ButtonText: wm.Button.Text,
				ContextWAMID: wm.Context.ID, Errors: flattenErrors(wm.Errors),
				ContactName: contactName(v.Contacts, string(wm.From)),
			}
			switch {
			case wm.Interactive.ButtonReply != nil:
				m.ReplyID, m.ReplyTitle = wm.Interactive.ButtonReply.ID, wm.Interactive.ButtonReply.Title
			case wm.Interactive.ListReply != nil:
				m.ReplyID, m.ReplyTitle = wm.Interactive.ListReply.ID, wm.Interactive.ListReply.Title
			}
			for _, media := range [...]*wireMedia{wm.Image, wm.Video, wm.Audio, wm.Document, wm.Sticker} {
				if media != nil {
					m.MediaID, m.MIMEType, m.Caption = media.ID, media.MIMEType, media.Caption
					break
				}
			}
			ev := base
			ev.Kind = KindMessage
			ev.Message = m
			evs = append(evs, ev)
		}
	}
	if len(v.Errors) > 0 {
		ev := base
		ev.Kind = KindError
		ev.Errors = flattenErrors(v.Errors)
		evs = append(evs, ev)
	}
	return evs, nil
}

func contactName(contacts []wireContact, from string) string {
	for _, c := range contacts {
		if string(c.WAID) == from {
			return c.Profile.Name
		}
	}
	if len(contacts) == 1 {
		return contacts[0].Profile.Name
	}
	return ""
}

func flattenErrors(ws []wireError) []ErrorDetail {
	if len(ws) == 0 {
		return nil
	}
	out := make([]ErrorDetail, len(ws))
	for i, w := range ws {
		out[i] = ErrorDetail{Code: w.Code.v, Title: w.Title, Message: w.Message, Details: w.ErrorData.details, Href: w.Href}
	}
	return out
}

// --- wire shapes -------------------------------------------------------------

type wireMetadata struct {
	DisplayPhoneNumber flexString `json:"display_phone_number"`
	PhoneNumberID      flexString `json:"phone_number_id"`
}

type wireError struct {
	Code      flexInt       `json:"code"`
	Title     string        `json:"title"`
	Message   string        `json:"message"`
	ErrorData flexErrorData `json:"error_data"`
	Href      string        `json:"href"`
}

type wireContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WAID flexString `json:"wa_id"`
}

type wireMedia struct {
	ID       string `json:"id"`
	MIMEType string `json:"mime_type"`
	Caption  string `json:"caption"`
}

type wireReply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type wireMessage struct {
	From      flexString `json:"from"`
	ID        string     `json:"id"`
	Timestamp flexInt64  `json:"timestamp"`
	Type      string     `json:"type"`
	Context   struct {
		ID string `json:"id"`
	} `json:"context"`
	Text struct {
		Body string `json:"body"`
	} `json:"text"`
	Button struct {
		Payload string `json:"payload"`
		Text    string `json:"text"`
	} `json:"button"`
	Interactive struct {
		ButtonReply *wireReply `json:"button_reply"`
		ListReply   *wireReply `json:"list_reply"`
	} `json:"interactive"`
	Image    *wireMedia  `json:"image"`
	Video    *wireMedia  `json:"video"`
	Audio    *wireMedia  `json:"audio"`
	Document *wireMedia  `json:"document"`
	Sticker  *wireMedia  `json:"sticker"`
	Errors   []wireError `json:"errors"`
}

type wireStatus struct {
	ID                    string      `json:"id"`
	Status                string      `json:"status"`
	Timestamp             flexInt64   `json:"timestamp"`
	RecipientID           flexString  `json:"recipient_id"`
	BizOpaqueCallbackData string      `json:"biz_opaque_callback_data"`
	Errors                []wireError `json:"errors"`
	Pricing               *struct {
		Billable     bool   `json:"billable"`
		PricingModel string `json:"pricing_model"`
		Type         string `json:"type"`
		Category     string `json:"category"`
	} `json:"pricing"`
	Conversation *struct {
		ID                  string    `json:"id"`
		ExpirationTimestamp flexInt64 `json:"expiration_timestamp"`
		Origin              struct {
			Type string `json:"type"`
		} `json:"origin"`
	} `json:"conversation"`
}

type wireMessagesValue struct {
	Metadata wireMetadata  `json:"metadata"`
	Contacts []wireContact `json:"contacts"`
	Messages []wireMessage `json:"messages"`
	Statuses []wireStatus  `json:"statuses"`
	Errors   []wireError   `json:"errors"`
}

type wireTemplateUpdate struct {
	Event     string     `json:"event"`
	ID        flexString `json:"message_template_id"`
	Name      string     `json:"message_template_name"`
	Language  string     `json:"message_template_language"`
	Reason    string     `json:"reason"`
	Category  string     `json:"message_template_category"`
	OtherInfo struct {
		Title       string `json:"title"`
		Description string `json:"description"`
	} `json:"other_info"`
}

type wireQualityUpdate struct {
	DisplayPhoneNumber flexString `json:"display_phone_number"`
	Event              string     `json:"event"`
	CurrentLimit       string     `json:"current_limit"`
	OldLimit           string     `json:"old_limit"`
	MaxDaily           string     `json:"max_daily_conversations_per_business"`
}

type wireUserPreferences struct {
	Metadata    wireMetadata `json:"metadata"`
	Preferences []struct {
		WAID      flexString `json:"wa_id"`
		Category  string     `json:"category"`
		Value     string     `json:"value"`
		Detail    string     `json:"detail"`
		Timestamp flexInt64  `json:"timestamp"`
	} `json:"user_preferences"`
}

// flexString takes a JSON string or number as text. Ids such as
// message_template_id arrive as numbers too big for float64, so the digits
// are kept as written. Other JSON types read as "".
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) == 0 {
		return nil
	}
	switch c := b[0]; {
	case c == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	case c == '-' || (c >= '0' && c <= '9'):
		*f = flexString(b)
	}
	return nil
}

// flexInt64 takes unix seconds as a string (messages payloads) or a number
// (other fields). Unreadable values read as 0 rather than failing the batch.
type flexInt64 int64

func (f *flexInt64) UnmarshalJSON(b []byte) error {
	s := string(b)
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		s = s[1 : len(s)-1]
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		*f = flexInt64(n)
	} else if x, err := strconv.ParseFloat(s, 64); err == nil && x >= -9e18 && x <= 9e18 {
		*f = flexInt64(x)
	}
	return nil
}
