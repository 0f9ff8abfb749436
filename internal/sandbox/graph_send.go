package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// The send path: POST /{ver}/{pnid}/messages. It is the hot path: one
// atomic load for settings and registry, lock-free or sharded state, a
// pooled body buffer, one JSON decode, a hand-written answer.

type sendRequest struct {
	MessagingProduct         string          `json:"messaging_product"`
	RecipientType            string          `json:"recipient_type"`
	To                       string          `json:"to"`
	Recipient                string          `json:"recipient"`
	Type                     string          `json:"type"`
	Text                     *sendText       `json:"text"`
	Template                 json.RawMessage `json:"template"`
	Image                    json.RawMessage `json:"image"`
	Video                    json.RawMessage `json:"video"`
	Audio                    json.RawMessage `json:"audio"`
	Document                 json.RawMessage `json:"document"`
	Sticker                  json.RawMessage `json:"sticker"`
	Location                 json.RawMessage `json:"location"`
	Contacts                 json.RawMessage `json:"contacts"`
	Interactive              json.RawMessage `json:"interactive"`
	Reaction                 json.RawMessage `json:"reaction"`
	Context                  *sendContext    `json:"context"`
	BizOpaqueCallbackData    string          `json:"biz_opaque_callback_data"`
	Status                   string          `json:"status"`
	MessageID                string          `json:"message_id"`
	TypingIndicator          json.RawMessage `json:"typing_indicator"`
	RecipientIdentityKeyHash string          `json:"recipient_identity_key_hash"`
}

type sendText struct {
	Body       string `json:"body"`
	PreviewURL bool   `json:"preview_url"`
}

type sendContext struct {
	MessageID string `json:"message_id"`
}

type sendMedia struct {
	ID       string `json:"id"`
	Link     string `json:"link"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

const maxSendBody = 1 << 20

var bodyPool = sync.Pool{New: func() any { return bytes.NewBuffer(make([]byte, 0, 2048)) }}

func (s *Server) handleMessages(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	num := c.numberFor(r.PathValue("id"))
	if num == nil {
		s.reject(w, noObject("post", r.PathValue("id")))
		return
	}
	buf := bodyPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bodyPool.Put(buf)
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, maxSendBody+1)); err != nil || buf.Len() > maxSendBody {
		s.reject(w, paramErr("The request body could not be read or is larger than 1 MB."))
		return
	}
	var req sendRequest
	if e := decodeStrict(buf.Bytes(), &req); e != nil {
		s.reject(w, e)
		return
	}
	if req.MessagingProduct == "" {
		s.reject(w, paramErr("The parameter messaging_product is required."))
		return
	}
	if !strings.EqualFold(req.MessagingProduct, "whatsapp") {
		s.reject(w, paramErr("Param messaging_product must be one of {WHATSAPP} - got %q.", req.MessagingProduct))
		return
	}
	if req.Status != "" || req.MessageID != "" && req.Type == "" && req.To == "" {
		s.markRead(w, num, &req)
		return
	}
	s.send(w, c, num, &req)
}

// decodeStrict decodes a JSON object and rejects unknown top-level keys, as
// Graph does, so a misspelt field fails here as it would at Meta.
func decodeStrict(b []byte, v any) *apiError {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil || errors.Is(err, io.EOF) {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		return paramErr("Param %s must be %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return paramErr("The request body is not valid JSON.")
	}
	if k, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return paramErr("Unexpected key %s on param messages.", k)
	}
	return paramErr("The request body could not be decoded: %v", err)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "struct", "map", "ptr":
		return "a JSON object"
	case "slice":
		return "an array"
	case "bool":
		return "a boolean"
	}
	return "a number"
}

func (s *Server) markRead(w http.ResponseWriter, num *number, req *sendRequest) {
	if req.Status != "read" {
		s.reject(w, paramErr("Param status must be one of {READ} - got %q.", req.Status))
		return
	}
	if req.MessageID == "" {
		s.reject(w, waErr(codeRequiredMissing, "The parameter message_id is required."))
		return
	}
	st := s.st.Load()
	m, ok := st.msgs.get(req.MessageID)
	if !ok || !m.inbound || m.num != num {
		s.reject(w, waErr(codeInvalidValue, "Message %s was not received by this phone number.", req.MessageID))
		return
	}
	// Marking one message read marks every earlier one from that user too.
	ch := st.chatOf(m.waid)
	ch.mu.Lock()
	for _, it := range ch.items {
		if it.inbound && it.num == num && !it.at.After(m.at) {
			it.readByBusiness.Store(true)
		}
	}
	ch.mu.Unlock()
	writeSuccess(w)
}

// send runs the checks of §9.2 in Meta's order after auth and number
// (already done): schema, recipient ≠ sender, throughput, pair rate,
// template; then accepts.
func (s *Server) send(w http.ResponseWriter, c *caller, num *number, req *sendRequest) {
	cfg := s.settings()
	st := s.st.Load()

	// 3. Schema.
	typ := strings.ToLower(req.Type)
	if typ == "" {
		typ = "text" // Cloud API's default
	}
	if req.RecipientType != "" && req.RecipientType != "individual" {
		s.reject(w, waErr(codeInvalidValue, "recipient_type %q is not supported by the sandbox; use individual.", req.RecipientType))
		return
	}
	if req.To == "" {
		s.reject(w, waErr(codeRequiredMissing, "The parameter to is required."))
		return
	}
	if utf8.RuneCountInString(req.BizOpaqueCallbackData) > 512 {
		s.reject(w, paramErr("Param biz_opaque_callback_data must be at most 512 characters long."))
		return
	}
	m := &msgRecord{num: num, typ: typ, version: c.version}
	var tmplReq *sendTemplate
	switch typ {
	case "text":
		if req.Text == nil {
			s.reject(w, waErr(codeRequiredMissing, "The parameter text is required."))
			return
		}
		if req.Text.Body == "" {
			s.reject(w, waErr(codeRequiredMissing, "The parameter text['body'] is required."))
			return
		}
		if utf8.RuneCountInString(req.Text.Body) > 4096 {
			s.reject(w, paramErr("Param text['body'] must be at most 4096 characters long."))
			return
		}
		m.text = req.Text.Body
	case "template":
		var e *apiError
		if tmplReq, e = parseSendTemplate(req.Template); e != nil {
			s.reject(w, e)
			return
		}
	case "image", "video", "audio", "document", "sticker":
		med, e := parseSendMedia(typ, rawFor(req, typ), st)
		if e != nil {
			s.reject(w, e)
			return
		}
		m.text, m.media = med.Caption, mediaRef(med)
	case "location", "contacts", "interactive", "reaction":
		raw := rawFor(req, typ)
		if len(raw) == 0 || string(raw) == "null" {
			s.reject(w, waErr(codeRequiredMissing, "The parameter %s is required.", typ))
			return
		}
		if raw[0] != '{' && !(typ == "contacts" && raw[0] == '[') {
			s.reject(w, paramErr("Param %s must be a JSON object.", typ))
			return
		}
		m.text = summary(typ, raw)
	default:
		s.reject(w, paramErr("Param type must be one of {AUDIO, CONTACTS, DOCUMENT, IMAGE, INTERACTIVE, LOCATION, REACTION, STICKER, TEMPLATE, TEXT, VIDEO} - got %q.", req.Type))
		return
	}
	waid, ok := digitsOf(req.To)
	if !ok {
		s.reject(w, waErr(codeInvalidValue, "The recipient phone number %q is not valid.", req.To))
		return
	}
	snap := num.snap.Load()

	// 4. Recipient cannot be sender.
	if waid == snap.digits {
		s.reject(w, waErr(codeRecipientSender, "The recipient is this business phone number."))
		return
	}

	// 5. Throughput per phone number.
	now := cfg.Clock()
	perSec := cfg.ThroughputPerSec
	if snap.ThroughputPerSec > 0 {
		perSec = snap.ThroughputPerSec
	}
	if perSec > 0 && !num.tp.take(now, perSec, cfg.ThroughputBurst) {
		e := waErr(codeThroughput, "Message failed to send because there were too many messages sent from this phone number in a short period of time.")
		e.status, e.subcode = cfg.ThrottleHTTPStatus, subcodeThrottle
		s.reject(w, e)
		return
	}

	// 6. Pair rate per recipient.
	if cfg.PairLimit && !st.pairs.take(pairKey{num.pnid, waid}, now, cfg.PairInterval, cfg.PairBurst) {
		e := waErr(codePairRate, "Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.")
		e.status, e.subcode = cfg.ThrottleHTTPStatus, subcodeThrottle
		s.reject(w, e)
		return
	}

	// 7. Template checks.
	if tmplReq != nil {
		b, e := checkTemplate(num.waba, tmplReq)
		if e != nil {
			s.reject(w, e)
			return
		}
		m.bound = b
	}

	// 8. Accept.
	s.accept(w, st, cfg, m, req, waid, now)
}

func rawFor(req *sendRequest, typ string) json.RawMessage {
	switch typ {
	case "image":
		return req.Image
	case "video":
		return req.Video
	case "audio":
		return req.Audio
	case "document":
		return req.Document
	case "sticker":
		return req.Sticker
	case "location":
		return req.Location
	case "contacts":
		return req.Contacts
	case "interactive":
		return req.Interactive
	case "reaction":
		return req.Reaction
	}
	return nil
}

func parseSendTemplate(raw json.RawMessage) (*sendTemplate, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, waErr(codeRequiredMissing, "The parameter template is required.")
	}
	var t sendTemplate
	if err := json.Unmarshal(raw, &t); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return nil, paramErr("Param template['%s'] must be %s.", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
		}
		return nil, paramErr("Param template must be a JSON object.")
	}
	if t.Name == "" {
		return nil, waErr(codeRequiredMissing, "The parameter template['name'] is required.")
	}
	if len(t.Language) == 0 || string(t.Language) == "null" {
		return nil, waErr(codeRequiredMissing, "The parameter template['language'] is required.")
	}
	var lang sendLanguage
	if t.Language[0] != '{' || json.Unmarshal(t.Language, &lang) != nil {
		return nil, paramErr("Param template['language'] must be a JSON object with a code.")
	}
	if lang.Code == "" {
		return nil, waErr(codeRequiredMissing, "The parameter template['language']['code'] is required.")
	}
	if lang.Policy != "" && lang.Policy != "deterministic" {
		return nil, paramErr("Param template['language']['policy'] must be one of {DETERMINISTIC}.")
	}
	t.lang = lang.Code
	return &t, nil
}

func parseSendMedia(typ string, raw json.RawMessage, st *state) (*sendMedia, *apiError) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, waErr(codeRequiredMissing, "The parameter %s is required.", typ)
	}
	var med sendMedia
	if raw[0] != '{' || json.Unmarshal(raw, &med) != nil {
		return nil, paramErr("Param %s must be a JSON object.", typ)
	}
	switch {
	case med.ID == "" && med.Link == "":
		return nil, waErr(codeRequiredMissing, "The parameter %s['id'] or %s['link'] is required.", typ, typ)
	case med.ID != "" && med.Link != "":
		return nil, paramErr("Param %s takes either an id or a link, not both.", typ)
	case med.Link != "" && !strings.HasPrefix(med.Link, "https://") && !strings.HasPrefix(med.Link, "http://"):
		return nil, waErr(codeInvalidValue, "The %s link must be an http(s) URL.", typ)
	case med.ID != "" && st.media.get(med.ID) == nil:
		return nil, waErr(codeInvalidValue, "Media id %s does not exist.", med.ID)
	}
	return &med, nil
}

// summary is what the fake phone shows for types it does not draw.
func summary(typ string, raw json.RawMessage) string {
	var v struct {
		Body struct {
			Text string `json:"text"`
		} `json:"body"`
		Emoji string `json:"emoji"`
		Name  string `json:"name"`
	}
	_ = json.Unmarshal(raw, &v)
	switch {
	case v.Body.Text != "":
		return v.Body.Text
	case v.Emoji != "":
		return v.Emoji
	case v.Name != "":
		return "📍 " + v.Name
	}
	return "[" + typ + "]"
}

// checkTemplate finds the template (132001, 404), refuses paused (132015)
// and disabled (132016) ones, and binds the parameters.
func checkTemplate(w *waba, req *sendTemplate) (*bound, *apiError) {
	lang := req.lang
	t := w.templates.lookup(req.Name, lang)
	if t == nil || t.Status == StatusPending || t.Status == StatusRejected {
		return nil, waErr(codeTemplateMissing, "template name (%s) does not exist in %s", req.Name, lang)
	}
	switch t.Status {
	case StatusPaused:
		return nil, waErr(codeTemplatePaused, "Template %s is paused because of low quality.", t)
	case StatusDisabled:
		return nil, waErr(codeTemplateDisabled, "Template %s has been disabled.", t)
	}
	return t.bind(req)
}

// accept records the send, plans its outcome and answers 200 (§2.6).
func (s *Server) accept(w http.ResponseWriter, st *state, cfg *settings, m *msgRecord, req *sendRequest, waid string, at time.Time) {
	m.wamid = s.ids.wamid(waid, false)
	m.waid = waid
	m.at = at
	e := &LedgerEntry{WAMID: m.wamid, PhoneNumberID: m.num.pnid, To: req.To, WaID: waid, Type: m.typ,
		Text: m.text, BizOpaqueCallbackData: req.BizOpaqueCallbackData, AcceptedAt: at}
	open := st.windowOpen(m.num.pnid, waid, at)
	failCode := 0
	if b := m.bound; b != nil {
		e.Text = ""
		e.Template = &LedgerTemplate{Name: b.tmpl.Name, Language: b.tmpl.Language, Category: b.tmpl.Category, Params: b.params}
		m.category = templateCategory(b.tmpl)
		m.pricingType = "regular"
		if m.category == "utility" && open {
			m.pricingType = "free_customer_service"
		}
		if m.category == "marketing" {
			if out, _ := st.optOut.get(pairKey{m.num.waba.id, waid}); out {
				failCode = codeMarketingOptOut
			}
		}
	} else {
		m.category, m.pricingType = "service", "free_customer_service"
		if !open {
			failCode = codeReengagement
		}
	}
	if re := cfg.notOnWA; re != nil && (re.MatchString("+"+waid) || re.MatchString(waid)) {
		failCode = codeUndeliverable
	}
	if m.version > 0 && m.version < 24 {
		m.convID = fmt.Sprintf("%016x%016x", s.ids.next(), s.ids.next())
	}
	m.entry = e
	st.ledger.append(e)
	st.msgs.put(m.wamid, m)
	st.chatOf(waid).add(m)
	s.stats.accepted.Add(1)
	s.scheduleOutcome(st, cfg, m, failCode)

	out := make([]byte, 0, 192+len(req.To)+len(m.wamid))
	out = append(out, `{"messaging_product":"whatsapp","contacts":[{"input":`...)
	out = appendString(out, req.To)
	out = append(out, `,"wa_id":"`...)
	out = append(out, waid...)
	out = append(out, `"}],"messages":[{"id":"`...)
	out = append(out, m.wamid...)
	out = append(out, '"')
	if m.bound != nil {
		out = append(out, `,"message_status":"accepted"`...)
	}
	out = append(out, `}]}`...)
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(out)
}
