package sandbox

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// Template management (§6.6): list, create (PENDING, then reviewed on a
// timer), delete, read one, edit, unpause; and the status webhooks.

var templateFields = []string{"id", "name", "language", "status", "category", "components", "parameter_format",
	"rejected_reason", "quality_score", "previous_category", "sub_category"}

var defaultTemplateFields = []string{"name", "parameter_format", "components", "language", "status", "category", "id"}

// templateJSON renders the requested fields of t (id always).
func templateJSON(t *msgTemplate, fields []string) map[string]any {
	out := map[string]any{"id": t.ID}
	for _, f := range fields {
		switch f {
		case "name":
			out[f] = t.Name
		case "language":
			out[f] = t.Language
		case "status":
			out[f] = t.Status
		case "category":
			out[f] = t.Category
		case "components":
			out[f] = t.Components
		case "parameter_format":
			out[f] = t.ParameterFormat
		case "rejected_reason":
			out[f] = t.Reason
		case "quality_score":
			out[f] = map[string]any{"score": "UNKNOWN", "date": t.CreatedAt.Unix()}
		case "previous_category":
			out[f] = t.Category
		case "sub_category":
			out[f] = "CUSTOM"
		}
	}
	return out
}

// parseFields reads ?fields=a,b{...} (sub-selections are ignored); an
// unknown field is Graph's "nonexisting field" error.
func parseFields(r *http.Request, known, def []string, node string) ([]string, *apiError) {
	raw := r.URL.Query().Get("fields")
	if raw == "" {
		return def, nil
	}
	var out []string
	depth, start := 0, 0
	flush := func(end int) *apiError {
		f := strings.TrimSpace(raw[start:end])
		if i := strings.IndexAny(f, "{."); i >= 0 {
			f = f[:i]
		}
		if f == "" {
			return nil
		}
		if !slices.Contains(known, f) {
			return paramErr("Tried accessing nonexisting field (%s) on node type (%s)", f, node)
		}
		out = append(out, f)
		return nil
	}
	for i := 0; i < len(raw); i++ {
		switch raw[i] {
		case '{':
			depth++
		case '}':
			depth--
		case ',':
			if depth == 0 {
				if e := flush(i); e != nil {
					return nil, e
				}
				start = i + 1
			}
		}
	}
	if e := flush(len(raw)); e != nil {
		return nil, e
	}
	return out, nil
}

func (s *Server) handleTemplateList(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	wb := c.wabaFor(r.PathValue("id"))
	if wb == nil {
		s.reject(w, noObject("get", r.PathValue("id")))
		return
	}
	fields, e := parseFields(r, templateFields, defaultTemplateFields, "WhatsAppBusinessHSM")
	if e != nil {
		s.reject(w, e)
		return
	}
	q := r.URL.Query()
	limit := 25
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			s.reject(w, paramErr("Param limit must be a positive integer."))
			return
		}
		limit = min(n, 1000)
	}
	var match []*msgTemplate
	for _, t := range wb.templates.load().order {
		if v := q.Get("name"); v != "" && !strings.Contains(t.Name, v) {
			continue
		}
		if v := q.Get("status"); v != "" && !strings.EqualFold(t.Status, v) {
			continue
		}
		if v := q.Get("language"); v != "" && t.Language != v {
			continue
		}
		if v := q.Get("category"); v != "" && !strings.EqualFold(t.Category, v) {
			continue
		}
		match = append(match, t)
	}
	start := 0
	if a := q.Get("after"); a != "" {
		start = cursorIndex(a, match) + 1
	} else if b := q.Get("before"); b != "" {
		start = max(cursorIndex(b, match)-limit, 0)
	}
	start = min(start, len(match))
	end := min(start+limit, len(match))
	data := make([]map[string]any, 0, end-start)
	for _, t := range match[start:end] {
		data = append(data, templateJSON(t, fields))
	}
	resp := map[string]any{"data": data}
	if end > start {
		paging := map[string]any{"cursors": map[string]string{"before": cursor(match[start]), "after": cursor(match[end-1])}}
		if end < len(match) {
			next := url.Values{}
			for k, v := range q {
				next[k] = v
			}
			next.Del("before")
			next.Set("after", cursor(match[end-1]))
			next.Set("limit", strconv.Itoa(limit))
			paging["next"] = baseURL(r) + r.URL.Path + "?" + next.Encode()
		}
		if start > 0 {
			prev := url.Values{}
			for k, v := range q {
				prev[k] = v
			}
			prev.Del("after")
			prev.Set("before", cursor(match[start]))
			paging["previous"] = baseURL(r) + r.URL.Path + "?" + prev.Encode()
		}
		resp["paging"] = paging
	}
	writeJSON(w, http.StatusOK, resp)
}

func cursor(t *msgTemplate) string { return base64.RawURLEncoding.EncodeToString([]byte(t.ID)) }

// cursorIndex finds the template a cursor names; -1 if it is gone.
func cursorIndex(c string, list []*msgTemplate) int {
	id, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return -1
	}
	return slices.IndexFunc(list, func(t *msgTemplate) bool { return t.ID == string(id) })
}

func (s *Server) handleTemplateCreate(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	wb := c.wabaFor(r.PathValue("id"))
	if wb == nil {
		s.reject(w, noObject("post", r.PathValue("id")))
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxSendBody))
	if err != nil {
		s.reject(w, paramErr("The request body could not be read."))
		return
	}
	var req createTemplateRequest
	if err := json.Unmarshal(body, &req); err != nil {
		s.reject(w, paramErr("The request body is not a valid template: %v", err))
		return
	}
	t, e := newTemplate(req, s.ids.numericID(), s.now())
	if e != nil {
		s.reject(w, e)
		return
	}
	err = wb.templates.update(func(list []*msgTemplate) ([]*msgTemplate, error) {
		for _, o := range list {
			if o.Name == t.Name && o.Language == t.Language {
				return nil, ErrConflict
			}
		}
		if len(list) >= 250 {
			return nil, ErrInvalid
		}
		return append(list, t), nil
	})
	switch err {
	case nil:
	case ErrConflict:
		s.reject(w, creationErr(2388024, "Message template already exists",
			"Content in this language already exists for template %s.", t))
		return
	default:
		s.reject(w, creationErr(2388019, "Message template limit exceeded", "This WABA already has 250 templates."))
		return
	}
	s.scheduleReview(wb, t.ID)
	writeJSON(w, http.StatusOK, map[string]string{"id": t.ID, "status": t.Status, "category": t.Category})
}

// scheduleReview approves or rejects a PENDING template after the review
// delay and sends message_template_status_update.
func (s *Server) scheduleReview(wb *waba, id string) {
	st := s.st.Load()
	s.sched.after(s.settings().TemplateReviewDelay, func() {
		if s.st.Load() != st {
			return
		}
		cur := wb.templates.load().byID[id]
		if cur == nil || cur.Status != StatusPending {
			return
		}
		status, reason := StatusApproved, "NONE"
		if re := s.settings().reject; re != nil && re.MatchString(cur.Name) {
			status, reason = StatusRejected, "INCORRECT_CATEGORY"
		}
		next := cur.with(func(t *msgTemplate) { t.Status, t.Reason = status, reason })
		if wb.templates.replace(next) == nil {
			s.log.Info("sandbox: template reviewed", "template", next.String(), "status", status)
			s.templateWebhook(wb, next, status, nil)
		}
	})
}

// templateStatusValue is the value of message_template_status_update.
type templateStatusValue struct {
	Event        string            `json:"event"`
	TemplateID   json.Number       `json:"message_template_id"`
	TemplateName string            `json:"message_template_name"`
	TemplateLang string            `json:"message_template_language"`
	Reason       string            `json:"reason"`
	Category     string            `json:"message_template_category"`
	OtherInfo    map[string]string `json:"other_info,omitempty"`
	DisableInfo  map[string]int64  `json:"disable_info,omitempty"`
}

func (s *Server) templateWebhook(wb *waba, t *msgTemplate, event string, other map[string]string) {
	v := templateStatusValue{Event: event, TemplateID: json.Number(t.ID), TemplateName: t.Name,
		TemplateLang: t.Language, Reason: t.Reason, Category: t.Category, OtherInfo: other}
	if event == StatusDisabled {
		v.DisableInfo = map[string]int64{"disable_date": s.now().Unix()}
	}
	s.emitWABA(wb, "message_template_status_update", marshalASCII(v))
}

// SetTemplateStatus moves a template to status (APPROVED, PAUSED, DISABLED,
// REJECTED, PENDING) as Meta's quality system would, and sends the webhook.
// Pausing counts: the third pause disables the template (§6.6).
func (s *Server) SetTemplateStatus(wabaID, name, language, status string) error {
	wb := s.reg.Load().wabas[wabaID]
	if wb == nil {
		return fmt.Errorf("%w: WABA", ErrNotFound)
	}
	cur := wb.templates.lookup(name, language)
	if cur == nil {
		return fmt.Errorf("%w: template %s/%s", ErrNotFound, name, language)
	}
	status = strings.ToUpper(status)
	if !slices.Contains([]string{StatusApproved, StatusPaused, StatusDisabled, StatusRejected, StatusPending}, status) {
		return fmt.Errorf("%w: template status %q", ErrInvalid, status)
	}
	var other map[string]string
	next := cur.with(func(t *msgTemplate) {
		t.Status = status
		t.Reason = "NONE"
		switch status {
		case StatusPaused:
			t.PauseCount++
			titles := []string{"FIRST_PAUSE", "SECOND_PAUSE"}
			if t.PauseCount > len(titles) {
				t.Status = StatusDisabled
				other = map[string]string{"title": "DISABLED", "description": "Your template was disabled after being paused repeatedly for low quality."}
				return
			}
			other = map[string]string{"title": titles[t.PauseCount-1], "description": "Your template was paused because of low quality ratings."}
		case StatusApproved:
			if cur.Status == StatusPaused {
				other = map[string]string{"title": "UNPAUSE", "description": "Your template was unpaused."}
			}
		case StatusRejected:
			t.Reason = "INCORRECT_CATEGORY"
		case StatusDisabled, StatusPending:
		}
	})
	if err := wb.templates.replace(next); err != nil {
		return err
	}
	s.templateWebhook(wb, next, next.Status, other)
	return nil
}

func (s *Server) handleTemplateDelete(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	wb := c.wabaFor(r.PathValue("id"))
	if wb == nil {
		s.reject(w, noObject("delete", r.PathValue("id")))
		return
	}
	name, hsmID := r.URL.Query().Get("name"), r.URL.Query().Get("hsm_id")
	if name == "" {
		s.reject(w, paramErr("The parameter name is required."))
		return
	}
	var disabled bool
	err := wb.templates.update(func(list []*msgTemplate) ([]*msgTemplate, error) {
		kept := list[:0:0]
		found := false
		for _, t := range list {
			if t.Name == name && (hsmID == "" || t.ID == hsmID) {
				if t.Status == StatusDisabled {
					disabled = true
					return nil, ErrInvalid
				}
				found = true
				continue
			}
			kept = append(kept, t)
		}
		if !found {
			return nil, ErrNotFound
		}
		return kept, nil
	})
	switch {
	case err == nil:
		writeSuccess(w)
	case disabled:
		s.reject(w, paramErr("Disabled templates can't be deleted."))
	default:
		s.reject(w, creationErr(2593002, "Message template not found", "No template named %s.", name))
	}
}

func (s *Server) handleTemplateUnpause(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	wb, t := c.templateFor(r.PathValue("id"))
	if t == nil {
		s.reject(w, noObject("post", r.PathValue("id")))
		return
	}
	if t.Status != StatusPaused {
		s.reject(w, paramErr("Only paused templates can be unpaused; this one is %s.", t.Status))
		return
	}
	if err := s.SetTemplateStatus(wb.id, t.Name, t.Language, StatusApproved); err != nil {
		s.reject(w, paramErr("The template could not be unpaused."))
		return
	}
	writeSuccess(w)
}

// templateEdit is POST /{template-id}: new components and/or category. An
// edit sends the template back to review.
func (s *Server) templateEdit(w http.ResponseWriter, r *http.Request, wb *waba, t *msgTemplate) {
	if t.Status != StatusApproved && t.Status != StatusRejected && t.Status != StatusPaused {
		s.reject(w, paramErr("Only approved, rejected or paused templates can be edited; this one is %s.", t.Status))
		return
	}
	var req struct {
		Category   string              `json:"category"`
		Components []TemplateComponent `json:"components"`
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxSendBody))
	if err := json.Unmarshal(body, &req); err != nil || (req.Category == "" && req.Components == nil) {
		s.reject(w, paramErr("Give a category or components to edit."))
		return
	}
	if req.Category != "" && t.Status == StatusApproved {
		s.reject(w, paramErr("The category of an approved template can't be changed."))
		return
	}
	cr := createTemplateRequest{Name: t.Name, Language: t.Language, Category: t.Category,
		ParameterFormat: t.ParameterFormat, Components: t.Components}
	if req.Category != "" {
		cr.Category = req.Category
	}
	if req.Components != nil {
		cr.Components = req.Components
	}
	next, e := newTemplate(cr, t.ID, t.CreatedAt)
	if e != nil {
		s.reject(w, e)
		return
	}
	next.PauseCount = t.PauseCount
	if err := wb.templates.replace(next); err != nil {
		s.reject(w, noObject("post", t.ID))
		return
	}
	s.scheduleReview(wb, next.ID)
	writeSuccess(w)
}
