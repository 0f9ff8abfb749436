package sandbox

import (
	"encoding/json"
	"net/http"
	"strings"
)

// routes is the one route table. Graph API routes are matched on their
// shape, {ver} being any v<major>.<minor>; the object behind {id} is
// resolved by the handler, as Graph does. /_sandbox/ has its own mux so
// its paths never collide with Graph's.
func (s *Server) routes() http.Handler {
	graph := http.NewServeMux()
	// Messaging (§2).
	graph.HandleFunc("POST /{ver}/{id}/messages", s.handleMessages)
	// Media (§8).
	graph.HandleFunc("POST /{ver}/{id}/media", s.handleMediaUpload)
	// Templates (§6.6).
	graph.HandleFunc("GET /{ver}/{id}/message_templates", s.handleTemplateList)
	graph.HandleFunc("POST /{ver}/{id}/message_templates", s.handleTemplateCreate)
	graph.HandleFunc("DELETE /{ver}/{id}/message_templates", s.handleTemplateDelete)
	graph.HandleFunc("POST /{ver}/{id}/unpause", s.handleTemplateUnpause)
	// WABA and phone numbers (§6.1, §6.3, §6.5).
	graph.HandleFunc("GET /{ver}/{id}/phone_numbers", s.handlePhoneNumberList)
	// Any object by id: phone number, WABA, template, media.
	graph.HandleFunc("GET /{ver}/{id}", s.handleObjectGet)
	graph.HandleFunc("POST /{ver}/{id}", s.handleObjectPost)
	graph.HandleFunc("DELETE /{ver}/{id}", s.handleObjectDelete)
	graph.HandleFunc("/", s.handleUnknownPath)

	ctl := http.NewServeMux()
	// Control API for tests and tools (JSON).
	ctl.HandleFunc("GET /_sandbox/numbers", s.ctlNumbers)
	ctl.HandleFunc("POST /_sandbox/numbers", s.ctlAddNumber)
	ctl.HandleFunc("POST /_sandbox/numbers/{pnid}/quality", s.ctlQuality)
	ctl.HandleFunc("POST /_sandbox/numbers/{pnid}/verify", s.ctlVerify)
	ctl.HandleFunc("POST /_sandbox/inbound", s.ctlInbound)
	ctl.HandleFunc("POST /_sandbox/optout", s.ctlOptOut)
	ctl.HandleFunc("POST /_sandbox/templates/status", s.ctlTemplateStatus)
	ctl.HandleFunc("GET /_sandbox/ledger", s.ctlLedger)
	ctl.HandleFunc("GET /_sandbox/messages/{wamid}", s.ctlMessage)
	ctl.HandleFunc("GET /_sandbox/config", s.ctlConfig)
	ctl.HandleFunc("POST /_sandbox/config", s.ctlConfigure)
	ctl.HandleFunc("POST /_sandbox/tokens/expire", s.ctlExpireToken)
	ctl.HandleFunc("POST /_sandbox/reset", s.ctlReset)
	ctl.HandleFunc("GET /_sandbox/stats", s.ctlStats)
	ctl.HandleFunc("GET /_sandbox/webhooks", s.ctlWebhooks)
	// Media downloads (the URL GET /{media-id} hands out).
	ctl.HandleFunc("GET /_sandbox/media/{id}", s.handleMediaDownload)
	// Fake phone (HTML, html/template, no scripts or inline styles).
	cop := http.NewCrossOriginProtection()
	ctl.HandleFunc("GET /_sandbox/phone", s.phoneIndex)
	ctl.HandleFunc("GET /_sandbox/phone/{number}", s.phoneChat)
	ctl.Handle("POST /_sandbox/phone/{number}/reply", cop.Handler(http.HandlerFunc(s.phoneReply)))
	ctl.Handle("POST /_sandbox/phone/{number}/marketing", cop.Handler(http.HandlerFunc(s.phoneMarketing)))
	ctl.HandleFunc("GET /_sandbox/static/phone.css", s.phoneCSS)

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_sandbox" || strings.HasPrefix(r.URL.Path, "/_sandbox/") {
			ctl.ServeHTTP(w, r)
			return
		}
		graph.ServeHTTP(w, r)
	})
}

// --- helpers shared by the Graph handlers ---

// caller is an authenticated Graph request.
type caller struct {
	reg     *registry
	tok     *tokenInfo
	version int
}

// bearer finds the access token: Authorization (Bearer or OAuth) or the
// access_token query parameter.
func bearer(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && (strings.EqualFold(scheme, "Bearer") || strings.EqualFold(scheme, "OAuth")) {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

// graphVersion parses "v23.0"; any v<digits>.<digits> is accepted.
func graphVersion(v string) (int, bool) {
	if len(v) < 4 || v[0] != 'v' {
		return 0, false
	}
	major, i := 0, 1
	for ; i < len(v) && v[i] >= '0' && v[i] <= '9'; i++ {
		major = major*10 + int(v[i]-'0')
		if major > 1000 {
			return 0, false
		}
	}
	if i == 1 || i >= len(v)-1 || v[i] != '.' {
		return 0, false
	}
	for i++; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	return major, true
}

// begin authenticates (190) and checks the version in the path; it writes
// the error itself and returns nil when either fails.
func (s *Server) begin(w http.ResponseWriter, r *http.Request) *caller {
	reg := s.reg.Load()
	tok := bearer(r)
	if tok == "" {
		s.reject(w, authErr("An access token is required to request this resource.", 0))
		return nil
	}
	ti := reg.tokens[tok]
	if ti == nil {
		s.reject(w, authErr("Invalid OAuth access token - Cannot parse access token", 0))
		return nil
	}
	if ti.expired {
		s.reject(w, authErr("Error validating access token: Session has expired.", 463))
		return nil
	}
	ver, ok := graphVersion(r.PathValue("ver"))
	if !ok {
		s.reject(w, unknownPath(r.URL.Path))
		return nil
	}
	w.Header().Set("Facebook-Api-Version", r.PathValue("ver"))
	return &caller{reg: reg, tok: ti, version: ver}
}

// numberFor resolves a phone-number id visible to the caller.
func (c *caller) numberFor(id string) *number {
	n := c.reg.numbers[id]
	if n == nil || !c.tok.wabas[n.waba.id] {
		return nil
	}
	return n
}

// wabaFor resolves a WABA id visible to the caller.
func (c *caller) wabaFor(id string) *waba {
	w := c.reg.wabas[id]
	if w == nil || !c.tok.wabas[id] {
		return nil
	}
	return w
}

// templateFor resolves a template id in any WABA visible to the caller.
func (c *caller) templateFor(id string) (*waba, *msgTemplate) {
	for wid := range c.tok.wabas {
		if w := c.reg.wabas[wid]; w != nil {
			if t := w.templates.load().byID[id]; t != nil {
				return w, t
			}
		}
	}
	return nil, nil
}

func (s *Server) reject(w http.ResponseWriter, e *apiError) {
	s.stats.rejected.Add(1)
	writeGraphError(w, e)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

var successBody = []byte(`{"success":true}`)

func writeSuccess(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	_, _ = w.Write(successBody)
}

func (s *Server) handleUnknownPath(w http.ResponseWriter, r *http.Request) {
	if s.begin(w, r) == nil {
		return
	}
	s.reject(w, unknownPath(r.URL.Path))
}

// baseURL is the scheme, host and mount prefix the request came through,
// for absolute URLs in answers (paging, media).
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	if p := r.Header.Get("X-Forwarded-Proto"); p == "https" || p == "http" {
		scheme = p
	}
	return scheme + "://" + r.Host + mountPrefix(r)
}

// mountPrefix is what an http.StripPrefix in front of the sandbox removed.
func mountPrefix(r *http.Request) string {
	full := r.RequestURI
	if i := strings.IndexByte(full, '?'); i >= 0 {
		full = full[:i]
	}
	if p, ok := strings.CutSuffix(full, r.URL.EscapedPath()); ok {
		return p
	}
	return ""
}
