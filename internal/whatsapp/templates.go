package whatsapp

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// DefaultTemplateFields are the fields a listing asks for: the doc's
// documented list plus id. Asking for a field Meta doesn't know fails the
// whole request (code 100), so nothing speculative goes here.
const DefaultTemplateFields = "id,name,language,status,category,components"

// maxTemplatePages bounds AllTemplates: 250 templates per WABA is the
// default cap (6,000 for verified portfolios), far below 100 pages of 100.
const maxTemplatePages = 100

// Template is a message template as Meta lists it (design doc §6.6).
type Template struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Language string `json:"language"`
	// Status is APPROVED, PENDING, REJECTED, PAUSED, DISABLED, …; only
	// APPROVED templates can be sent.
	Status string `json:"status"`
	// Category is MARKETING, UTILITY or AUTHENTICATION; it sets the price.
	Category string `json:"category"`
	// ParameterFormat is "NAMED" or "POSITIONAL" when Meta includes it;
	// see Named.
	ParameterFormat string              `json:"parameter_format,omitempty"`
	Components      []TemplateComponent `json:"components"`
	// QualityScore, RejectedReason and SubCategory come back only when
	// asked for in Fields (see SyncTemplateFields).
	QualityScore   *TemplateQuality `json:"quality_score,omitempty"`
	RejectedReason string           `json:"rejected_reason,omitempty"`
	SubCategory    string           `json:"sub_category,omitempty"`
}

// TemplateQuality is a template's quality_score: GREEN, YELLOW, RED or
// UNKNOWN (new templates start at UNKNOWN).
type TemplateQuality struct {
	Score string `json:"score"`
}

// SyncTemplateFields is what a full sync asks for: the default fields plus
// the documented quality, rejection reason, parameter format and
// sub-category fields of a template node.
const SyncTemplateFields = DefaultTemplateFields + ",parameter_format,quality_score,rejected_reason,sub_category"

// TemplateComponent is one part of a template definition.
type TemplateComponent struct {
	// Type is HEADER, BODY, FOOTER or BUTTONS.
	Type string `json:"type"`
	// Format is the header's TEXT, IMAGE, VIDEO, DOCUMENT or LOCATION.
	Format  string           `json:"format,omitempty"`
	Text    string           `json:"text,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	// Example holds the sample values Meta's review needs; its shape varies
	// by component (header_handle, body_text, body_text_named_params…).
	Example json.RawMessage `json:"example,omitempty"`
}

// TemplateButton is one button of a BUTTONS component.
type TemplateButton struct {
	// Type is QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, OTP, …
	Type        string          `json:"type"`
	Text        string          `json:"text,omitempty"`
	URL         string          `json:"url,omitempty"`
	PhoneNumber string          `json:"phone_number,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
}

// Named reports whether the template uses named placeholders
// ({{first_name}}) and so needs NamedParam values. It trusts
// parameter_format when present and otherwise reads the placeholders.
func (t Template) Named() bool {
	switch strings.ToUpper(t.ParameterFormat) {
	case "NAMED":
		return true
	case "POSITIONAL":
		return false
	}
	for _, c := range t.Components {
		s := c.Text
		for {
			i := strings.Index(s, "{{")
			if i < 0 || i+2 >= len(s) {
				break
			}
			s = strings.TrimLeft(s[i+2:], " ")
			if s == "" {
				break
			}
			if ch := s[0]; (ch < '0' || ch > '9') && ch != '}' && ch != '{' {
				return true
			}
		}
	}
	return false
}

// ListTemplatesOptions filters and pages a template listing.
type ListTemplatesOptions struct {
	// Fields defaults to DefaultTemplateFields.
	Fields string
	// Limit is the page size; Meta's default applies when 0.
	Limit int
	// After is the cursor from the previous page.
	After string
	// Status (e.g. "APPROVED") and Name filter the listing.
	Status, Name string
}

// TemplatePage is one page of a listing.
type TemplatePage struct {
	Templates []Template
	// After is the cursor for the next page; empty on the last page.
	After string
}

type templateListResponse struct {
	Data   []Template `json:"data"`
	Paging struct {
		Cursors struct {
			After string `json:"after"`
		} `json:"cursors"`
		Next string `json:"next"`
	} `json:"paging"`
}

// ListTemplates reads one page of a WABA's templates.
func (c *Client) ListTemplates(ctx context.Context, token, wabaID string, opts ListTemplatesOptions) (TemplatePage, error) {
	if err := checkID("WABA id", wabaID); err != nil {
		return TemplatePage{}, fmt.Errorf("whatsapp: list templates: %w", err)
	}
	q := url.Values{}
	q.Set("fields", DefaultTemplateFields)
	if opts.Fields != "" {
		q.Set("fields", opts.Fields)
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	if opts.After != "" {
		q.Set("after", opts.After)
	}
	if opts.Status != "" {
		q.Set("status", opts.Status)
	}
	if opts.Name != "" {
		q.Set("name", opts.Name)
	}
	cl := call{method: http.MethodGet, path: wabaID + "/message_templates", query: q, limit: maxManagementResponse}
	buf, err := c.do(ctx, token, cl)
	if err != nil {
		return TemplatePage{}, err
	}
	var out templateListResponse
	if err := decodeOK(cl, buf, &out); err != nil {
		return TemplatePage{}, err
	}
	page := TemplatePage{Templates: out.Data}
	// Graph gives a cursor even on the last page; only "next" says there
	// is more. We page by cursor rather than by fetching "next", so the
	// request always goes to our configured host.
	if out.Paging.Next != "" {
		page.After = out.Paging.Cursors.After
	}
	return page, nil
}

// AllTemplates walks every page of a listing (opts.After is the start).
func (c *Client) AllTemplates(ctx context.Context, token, wabaID string, opts ListTemplatesOptions) ([]Template, error) {
	var all []Template
	for range maxTemplatePages {
		page, err := c.ListTemplates(ctx, token, wabaID, opts)
		if err != nil {
			return all, err
		}
		all = append(all, page.Templates...)
		if page.After == "" || page.After == opts.After {
			return all, nil
		}
		opts.After = page.After
	}
	return all, fmt.Errorf("whatsapp: list templates: more than %d pages", maxTemplatePages)
}

// NewTemplate is a template submitted for review.
type NewTemplate struct {
	Name     string `json:"name"`
	Language string `json:"language"`
	Category string `json:"category"`
	// ParameterFormat is "NAMED" or "POSITIONAL" (Meta's default).
	ParameterFormat string              `json:"parameter_format,omitempty"`
	Components      []TemplateComponent `json:"components"`
}

// CreatedTemplate is Meta's answer to a creation: review is asynchronous,
// and the outcome arrives as a message_template_status_update webhook.
type CreatedTemplate struct {
	ID       string `json:"id"`
	Status   string `json:"status"`
	Category string `json:"category"`
}

// CreateTemplate submits a template for review.
func (c *Client) CreateTemplate(ctx context.Context, token, wabaID string, t NewTemplate) (CreatedTemplate, error) {
	if err := checkID("WABA id", wabaID); err != nil {
		return CreatedTemplate{}, fmt.Errorf("whatsapp: create template: %w", err)
	}
	if t.Name == "" || t.Language == "" || t.Category == "" || len(t.Components) == 0 {
		return CreatedTemplate{}, fmt.Errorf("whatsapp: create template: %w: name, language, category and components are required", ErrInvalidRequest)
	}
	// Management calls are rare; encoding/json is fine here.
	raw, err := json.Marshal(t)
	if err != nil {
		return CreatedTemplate{}, fmt.Errorf("whatsapp: create template: %w: %w", ErrInvalidRequest, err)
	}
	b := newReqBody()
	defer b.release()
	b.buf = append(b.buf, raw...)
	cl := call{method: http.MethodPost, path: wabaID + "/message_templates", body: b, limit: maxManagementResponse}
	buf, err := c.do(ctx, token, cl)
	if err != nil {
		return CreatedTemplate{}, err
	}
	var out CreatedTemplate
	if err := decodeOK(cl, buf, &out); err != nil {
		return CreatedTemplate{}, err
	}
	if out.ID == "" {
		return CreatedTemplate{}, &TransportError{Op: cl.op(), Err: fmt.Errorf("%w: no template id", ErrMalformedResponse), MayHaveBeenSent: true}
	}
	return out, nil
}

// DeleteTemplate deletes every language of the template called name.
// Deleting an approved template blocks its name for 30 days.
func (c *Client) DeleteTemplate(ctx context.Context, token, wabaID, name string) error {
	return c.deleteTemplate(ctx, token, wabaID, "", name)
}

// DeleteTemplateByID deletes one language version: templateID (hsm_id)
// together with its name, as Meta requires both.
func (c *Client) DeleteTemplateByID(ctx context.Context, token, wabaID, templateID, name string) error {
	if err := checkID("template id", templateID); err != nil {
		return fmt.Errorf("whatsapp: delete template: %w", err)
	}
	return c.deleteTemplate(ctx, token, wabaID, templateID, name)
}

func (c *Client) deleteTemplate(ctx context.Context, token, wabaID, templateID, name string) error {
	if err := checkID("WABA id", wabaID); err != nil {
		return fmt.Errorf("whatsapp: delete template: %w", err)
	}
	if name == "" {
		return fmt.Errorf("whatsapp: delete template: %w: empty name", ErrInvalidRequest)
	}
	q := url.Values{"name": {name}}
	if templateID != "" {
		q.Set("hsm_id", templateID)
	}
	cl := call{method: http.MethodDelete, path: wabaID + "/message_templates", query: q, limit: maxSendResponse}
	return c.doSuccess(ctx, token, cl)
}

// Placeholder is one variable of a template: where it sits and its name
// ("1", "2", … for positional templates, "first_name" for named ones).
type Placeholder struct {
	// Component is "header", "body" or "button".
	Component string
	// ButtonIndex is the button's 0-based position (for "button" only).
	ButtonIndex int
	Name        string
}

// Placeholders lists the template's variables in the order a send must
// fill them: header, body, then dynamic URL buttons. A placeholder used
// twice in one component is one variable.
func (t Template) Placeholders() []Placeholder {
	var out []Placeholder
	add := func(comp string, idx int, text string) {
		seen := map[string]bool{}
		for _, name := range placeholderNames(text) {
			if !seen[name] {
				seen[name] = true
				out = append(out, Placeholder{Component: comp, ButtonIndex: idx, Name: name})
			}
		}
	}
	for _, c := range t.Components {
		switch strings.ToUpper(c.Type) {
		case "HEADER":
			if c.Format == "" || strings.EqualFold(c.Format, "TEXT") {
				add("header", 0, c.Text)
			}
		case "BODY":
			add("body", 0, c.Text)
		case "BUTTONS":
			for i, b := range c.Buttons {
				if strings.EqualFold(b.Type, "URL") {
					add("button", i, b.URL)
				}
			}
		}
	}
	return out
}

// placeholderNames returns the names inside {{…}} in text, in order.
func placeholderNames(text string) []string {
	var names []string
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			return names
		}
		text = text[i+2:]
		j := strings.Index(text, "}}")
		if j < 0 {
			return names
		}
		if name := strings.TrimSpace(text[:j]); name != "" {
			names = append(names, name)
		}
		text = text[j+2:]
	}
}
