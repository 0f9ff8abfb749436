package sandbox

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// TemplateComponent is a component of a message template in Meta's
// management-API shape (HEADER, BODY, FOOTER, BUTTONS).
type TemplateComponent struct {
	Type    string           `json:"type"`
	Format  string           `json:"format,omitempty"`
	Text    string           `json:"text,omitempty"`
	Buttons []TemplateButton `json:"buttons,omitempty"`
	Example json.RawMessage  `json:"example,omitempty"`
}

// TemplateButton is one button of a BUTTONS component.
type TemplateButton struct {
	Type        string          `json:"type"`
	Text        string          `json:"text"`
	URL         string          `json:"url,omitempty"`
	PhoneNumber string          `json:"phone_number,omitempty"`
	Example     json.RawMessage `json:"example,omitempty"`
}

// Template statuses the sandbox uses (Meta has more; §6.6).
const (
	StatusApproved = "APPROVED"
	StatusPending  = "PENDING"
	StatusRejected = "REJECTED"
	StatusPaused   = "PAUSED"
	StatusDisabled = "DISABLED"
)

// template is immutable once published; a change publishes a new value.
type msgTemplate struct {
	ID, Name, Language, Category, Status, ParameterFormat string
	Components                                            []TemplateComponent
	Reason                                                string
	PauseCount                                            int
	CreatedAt                                             time.Time

	headerFormat string // TEXT, IMAGE, VIDEO, DOCUMENT, LOCATION or ""
	header       []segment
	headerVars   []string
	body         []segment
	bodyVars     []string
	footer       string
	buttons      []TemplateButton
	buttonURLs   [][]segment // per button; nil when the URL has no variable
}

// segment is literal text followed by an optional variable.
type segment struct {
	lit, v string
}

var varRE = regexp.MustCompile(`\{\{\s*([A-Za-z0-9_]+)\s*\}\}`)

func parseText(s string) (segs []segment, vars []string) {
	last := 0
	for _, m := range varRE.FindAllStringSubmatchIndex(s, -1) {
		name := s[m[2]:m[3]]
		segs = append(segs, segment{lit: s[last:m[0]], v: name})
		if !slices.Contains(vars, name) {
			vars = append(vars, name)
		}
		last = m[1]
	}
	if last < len(s) || len(segs) == 0 {
		segs = append(segs, segment{lit: s[last:]})
	}
	// Positional variables are listed by number, so vars[i] is "{{i+1}}"
	// whatever order the text uses them in.
	if !slices.ContainsFunc(vars, func(v string) bool { _, err := strconv.Atoi(v); return err != nil }) {
		slices.SortFunc(vars, func(a, b string) int { x, _ := strconv.Atoi(a); y, _ := strconv.Atoi(b); return x - y })
	}
	return segs, vars
}

// render fills the variables of segs: vals[i] is the value of vars[i];
// a variable without a value stays as written.
func render(segs []segment, vars, vals []string) string {
	var b strings.Builder
	for _, sg := range segs {
		b.WriteString(sg.lit)
		if sg.v == "" {
			continue
		}
		if i := slices.Index(vars, sg.v); i >= 0 && i < len(vals) && vals[i] != "" {
			b.WriteString(vals[i])
		} else {
			b.WriteString("{{" + sg.v + "}}")
		}
	}
	return b.String()
}

// derive fills the parsed fields from the components.
func (t *msgTemplate) derive() {
	t.header, t.headerVars, t.body, t.bodyVars = nil, nil, nil, nil
	t.headerFormat, t.footer, t.buttons, t.buttonURLs = "", "", nil, nil
	for _, c := range t.Components {
		switch strings.ToUpper(c.Type) {
		case "HEADER":
			t.headerFormat = strings.ToUpper(c.Format)
			if t.headerFormat == "" {
				t.headerFormat = "TEXT"
			}
			if t.headerFormat == "TEXT" {
				t.header, t.headerVars = parseText(c.Text)
			}
		case "BODY":
			t.body, t.bodyVars = parseText(c.Text)
		case "FOOTER":
			t.footer = c.Text
		case "BUTTONS":
			for _, b := range c.Buttons {
				t.buttons = append(t.buttons, b)
				var segs []segment
				if strings.Contains(b.URL, "{{") {
					segs, _ = parseText(b.URL)
				}
				t.buttonURLs = append(t.buttonURLs, segs)
			}
		}
	}
}

func (t *msgTemplate) with(f func(*msgTemplate)) *msgTemplate {
	c := *t
	f(&c)
	c.derive()
	return &c
}

type templateKey struct{ name, lang string }

// templateSet is one WABA's templates, replaced whole on every change
// (copy-on-write), so the send path reads it without a lock.
type templateSet struct {
	byKey map[templateKey]*msgTemplate
	byID  map[string]*msgTemplate
	order []*msgTemplate // creation order, for listing
}

type templateStore struct {
	mu  sync.Mutex // serialises writers
	set atomic.Pointer[templateSet]
}

func (ts *templateStore) load() *templateSet { return ts.set.Load() }

func (ts *templateStore) lookup(name, lang string) *msgTemplate {
	return ts.load().byKey[templateKey{name, lang}]
}

// update applies f to a copy of the set's template list and publishes it.
func (ts *templateStore) update(f func(list []*msgTemplate) ([]*msgTemplate, error)) error {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	cur := ts.load()
	var list []*msgTemplate
	if cur != nil {
		list = slices.Clone(cur.order)
	}
	list, err := f(list)
	if err != nil {
		return err
	}
	next := &templateSet{byKey: make(map[templateKey]*msgTemplate, len(list)), byID: make(map[string]*msgTemplate, len(list)), order: list}
	for _, t := range list {
		next.byKey[templateKey{t.Name, t.Language}] = t
		next.byID[t.ID] = t
	}
	ts.set.Store(next)
	return nil
}

// replace swaps the template with t.ID for t.
func (ts *templateStore) replace(t *msgTemplate) error {
	return ts.update(func(list []*msgTemplate) ([]*msgTemplate, error) {
		for i, o := range list {
			if o.ID == t.ID {
				list[i] = t
				return list, nil
			}
		}
		return nil, ErrNotFound
	})
}

// seedTemplates are what every new WABA starts with: enough to send a
// utility message, a marketing message with a named and one with a
// positional variable and quick replies, and an authentication code.
func seedTemplates(ids *idGen, now time.Time) []*msgTemplate {
	mk := func(name, lang, cat, format string, comps ...TemplateComponent) *msgTemplate {
		t := &msgTemplate{ID: ids.numericID(), Name: name, Language: lang, Category: cat, Status: StatusApproved,
			ParameterFormat: format, Components: comps, Reason: "NONE", CreatedAt: now}
		t.derive()
		return t
	}
	body := func(s string) TemplateComponent { return TemplateComponent{Type: "BODY", Text: s} }
	footer := func(s string) TemplateComponent { return TemplateComponent{Type: "FOOTER", Text: s} }
	return []*msgTemplate{
		mk("hello_world", "en_US", "UTILITY", "POSITIONAL",
			TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "Hello World"},
			body("Welcome! This message shows that you can send WhatsApp notifications from the Cloud API."),
			footer("WhatsApp Business Platform sample message")),
		mk("order_update", "en_US", "UTILITY", "POSITIONAL",
			body("Hi {{1}}, your order {{2}} is on its way.")),
		mk("spring_offer", "en_US", "MARKETING", "NAMED",
			TemplateComponent{Type: "HEADER", Format: "TEXT", Text: "Spring offer"},
			body("Hi {{first_name}}, enjoy {{discount}} off everything this week."),
			footer("Not interested? Tap Stop promotions"),
			TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{
				{Type: "QUICK_REPLY", Text: "Tell me more"}, {Type: "QUICK_REPLY", Text: "Stop promotions"}}}),
		mk("weekly_news", "en_US", "MARKETING", "POSITIONAL",
			body("Hello {{1}}! This week's news is out."),
			TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "QUICK_REPLY", Text: "Unsubscribe"}}}),
		mk("verification_code", "en_US", "AUTHENTICATION", "POSITIONAL",
			body("{{1}} is your verification code. For your security, do not share this code."),
			footer("This code expires in 10 minutes."),
			TemplateComponent{Type: "BUTTONS", Buttons: []TemplateButton{{Type: "URL", Text: "Copy code",
				URL: "https://www.whatsapp.com/otp/code/?otp_type=COPY_CODE&code=otp{{1}}"}}}),
	}
}

// --- Binding the parameters of a send to a template (§2.3) ---

type sendTemplate struct {
	Name       string          `json:"name"`
	Namespace  string          `json:"namespace"`
	Language   json.RawMessage `json:"language"`
	Components []sendComponent `json:"components"`
	lang       string          // language.code, once checked
}

type sendLanguage struct {
	Code   string `json:"code"`
	Policy string `json:"policy"`
}

type sendComponent struct {
	Type       string          `json:"type"`
	SubType    string          `json:"sub_type"`
	Index      json.RawMessage `json:"index"`
	Parameters []sendParam     `json:"parameters"`
}

type sendParam struct {
	Type          string        `json:"type"`
	ParameterName string        `json:"parameter_name"`
	Text          *string       `json:"text"`
	Payload       string        `json:"payload"`
	CouponCode    string        `json:"coupon_code"`
	Currency      *sendCurrency `json:"currency"`
	DateTime      *sendDateTime `json:"date_time"`
	Image         *sendMedia    `json:"image"`
	Video         *sendMedia    `json:"video"`
	Document      *sendMedia    `json:"document"`
}

type sendCurrency struct {
	FallbackValue string `json:"fallback_value"`
	Code          string `json:"code"`
}

type sendDateTime struct {
	FallbackValue string `json:"fallback_value"`
}

// bound is a template send whose parameters matched the template. It is
// kept with every accepted message, so it holds slices, not maps.
type bound struct {
	tmpl      *msgTemplate
	header    []string // values of tmpl.headerVars
	headerMed string   // media header: the link or id
	body      []string // values of tmpl.bodyVars
	buttons   []string // per template button: quick-reply payload or URL suffix
	params    []LedgerParam
}

func (b *bound) bodyText() string   { return render(b.tmpl.body, b.tmpl.bodyVars, b.body) }
func (b *bound) headerText() string { return render(b.tmpl.header, b.tmpl.headerVars, b.header) }

// button returns the payload or URL suffix given for button i.
func (b *bound) button(i int) string {
	if i < len(b.buttons) {
		return b.buttons[i]
	}
	return ""
}

// paramValue is what a body or header parameter contributes to the text.
func paramValue(p sendParam, where string) (string, *apiError) {
	switch strings.ToLower(p.Type) {
	case "text":
		if p.Text == nil || *p.Text == "" {
			return "", waErr(codeRequiredMissing, "The parameter %s text is required.", where)
		}
		return *p.Text, nil
	case "currency":
		if p.Currency == nil || p.Currency.FallbackValue == "" {
			return "", waErr(codeRequiredMissing, "The parameter %s currency.fallback_value is required.", where)
		}
		return p.Currency.FallbackValue, nil
	case "date_time":
		if p.DateTime == nil || p.DateTime.FallbackValue == "" {
			return "", waErr(codeRequiredMissing, "The parameter %s date_time.fallback_value is required.", where)
		}
		return p.DateTime.FallbackValue, nil
	}
	return "", waErr(codeParamFormat, "%s parameter of type %q does not match the template", where, p.Type)
}

func mediaRef(m *sendMedia) string {
	if m == nil {
		return ""
	}
	if m.ID != "" {
		return m.ID
	}
	return m.Link
}

// bind checks a send's components against t: counts (132000), formats
// (132012) and the length of the filled-in body (132005).
func (t *msgTemplate) bind(st *sendTemplate) (*bound, *apiError) {
	b := &bound{tmpl: t, params: make([]LedgerParam, 0, len(t.headerVars)+len(t.bodyVars)+1)}
	if len(t.headerVars) > 0 {
		b.header = make([]string, len(t.headerVars))
	}
	if len(t.bodyVars) > 0 {
		b.body = make([]string, len(t.bodyVars))
	}
	setButton := func(i int, v string) {
		if b.buttons == nil {
			b.buttons = make([]string, len(t.buttons))
		}
		b.buttons[i] = v
	}
	var header, body []sendParam
	buttons := map[int]sendComponent{}
	for _, c := range st.Components {
		switch strings.ToLower(c.Type) {
		case "header":
			header = append(header, c.Parameters...)
		case "body":
			body = append(body, c.Parameters...)
		case "button":
			idx, err := strconv.Atoi(strings.Trim(string(c.Index), `"`))
			if err != nil || idx < 0 || idx >= len(t.buttons) {
				return nil, waErr(codeInvalidValue, "button index %s does not exist in template %s", c.Index, t.Name)
			}
			buttons[idx] = c
		default:
			return nil, waErr(codeInvalidValue, "component type %q is not valid", c.Type)
		}
	}
	// Header.
	switch {
	case t.headerFormat == "TEXT" || t.headerFormat == "":
		if len(header) != len(t.headerVars) {
			return nil, waErr(codeParamCount, "header: number of localizable_params (%d) does not match the expected number of params (%d)", len(header), len(t.headerVars))
		}
		for i, p := range header {
			if strings.ToLower(p.Type) != "text" {
				return nil, waErr(codeParamFormat, "header parameter of type %q; the template's header is text", p.Type)
			}
			v, e := paramValue(p, "header")
			if e != nil {
				return nil, e
			}
			b.header[i] = v
			b.params = append(b.params, LedgerParam{Component: "header", Type: "text", Value: v})
		}
	default: // a media or location header takes exactly one parameter of its kind
		if len(header) != 1 {
			return nil, waErr(codeParamCount, "header: the template's %s header needs 1 parameter, got %d", t.headerFormat, len(header))
		}
		p := header[0]
		want := strings.ToLower(t.headerFormat)
		if strings.ToLower(p.Type) != want {
			return nil, waErr(codeParamFormat, "header parameter of type %q; the template's header is %s", p.Type, want)
		}
		var ref string
		switch want {
		case "image":
			ref = mediaRef(p.Image)
		case "video":
			ref = mediaRef(p.Video)
		case "document":
			ref = mediaRef(p.Document)
		default:
			ref = want
		}
		if ref == "" {
			return nil, waErr(codeRequiredMissing, "The parameter header %s (link or id) is required.", want)
		}
		b.headerMed = ref
		b.params = append(b.params, LedgerParam{Component: "header", Type: want, Value: ref})
	}

	// Body.
	if len(body) != len(t.bodyVars) {
		return nil, waErr(codeParamCount, "body: number of localizable_params (%d) does not match the expected number of params (%d)", len(body), len(t.bodyVars))
	}
	named := t.ParameterFormat == "NAMED"
	for i, p := range body {
		if named != (p.ParameterName != "") {
			if named {
				return nil, waErr(codeParamFormat, "template %s uses named parameters; body parameter %d has no parameter_name", t.Name, i+1)
			}
			return nil, waErr(codeParamFormat, "template %s uses positional parameters; body parameter %d has a parameter_name", t.Name, i+1)
		}
		slot := i
		if named {
			slot = slices.Index(t.bodyVars, p.ParameterName)
			if slot < 0 {
				return nil, waErr(codeParamCount, "body: parameter_name %q is not a variable of template %s", p.ParameterName, t.Name)
			}
			if b.body[slot] != "" {
				return nil, waErr(codeParamCount, "body: parameter_name %q is given twice", p.ParameterName)
			}
		}
		v, e := paramValue(p, "body")
		if e != nil {
			return nil, e
		}
		b.body[slot] = v
		b.params = append(b.params, LedgerParam{Component: "body", Name: p.ParameterName, Type: strings.ToLower(p.Type), Value: v})
	}

	// Buttons.
	for i, tb := range t.buttons {
		c, given := buttons[i]
		sub := strings.ToLower(c.SubType)
		kind := strings.ToLower(tb.Type)
		if given && sub != kind && !(kind == "otp" && sub == "url") {
			return nil, waErr(codeParamFormat, "button %d: sub_type %q does not match the template's %s button", i, c.SubType, tb.Type)
		}
		idx := strconv.Itoa(i)
		switch {
		case t.buttonURLs[i] != nil:
			if !given || len(c.Parameters) != 1 {
				return nil, waErr(codeParamCount, "button %d: the template's dynamic URL needs 1 parameter", i)
			}
			p := c.Parameters[0]
			if strings.ToLower(p.Type) != "text" || p.Text == nil || *p.Text == "" {
				return nil, waErr(codeParamFormat, "button %d: the URL parameter must be text", i)
			}
			setButton(i, *p.Text)
			b.params = append(b.params, LedgerParam{Component: "button", Index: idx, Type: "text", Value: *p.Text})
		case given && kind == "quick_reply":
			for _, p := range c.Parameters {
				if strings.ToLower(p.Type) != "payload" {
					return nil, waErr(codeParamFormat, "button %d: quick_reply parameters are payloads", i)
				}
				setButton(i, p.Payload)
				b.params = append(b.params, LedgerParam{Component: "button", Index: idx, Type: "payload", Value: p.Payload})
			}
		case given && kind == "copy_code":
			if len(c.Parameters) != 1 || strings.ToLower(c.Parameters[0].Type) != "coupon_code" {
				return nil, waErr(codeParamFormat, "button %d: copy_code needs one coupon_code parameter", i)
			}
			b.params = append(b.params, LedgerParam{Component: "button", Index: idx, Type: "coupon_code", Value: c.Parameters[0].CouponCode})
		case given && len(c.Parameters) > 0:
			return nil, waErr(codeParamCount, "button %d: the template's %s button takes no parameters", i, tb.Type)
		}
	}
	if n := utf8.RuneCountInString(b.bodyText()); n > 1024 {
		return nil, waErr(codeHydratedTooLong, "the body of template %s is %d characters long once filled in; the limit is 1024", t.Name, n)
	}
	return b, nil
}

// --- Creating templates (POST /{waba}/message_templates) ---

type createTemplateRequest struct {
	Name            string              `json:"name"`
	Category        string              `json:"category"`
	Language        string              `json:"language"`
	ParameterFormat string              `json:"parameter_format"`
	Components      []TemplateComponent `json:"components"`
}

var (
	templateNameRE = regexp.MustCompile(`^[a-z0-9_]{1,512}$`)
	languageRE     = regexp.MustCompile(`^[a-z]{2,3}(_[A-Z]{2})?$`)
	namedVarRE     = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)
)

func creationErr(subcode int, userTitle, format string, a ...any) *apiError {
	e := paramErr(format, a...)
	e.subcode = subcode
	if userTitle != "" {
		e.details = userTitle + ": " + e.details
	}
	return e
}

// newTemplate validates a create request the way Meta's review front door
// does (the subcodes are Meta's 2388xxx family).
func newTemplate(req createTemplateRequest, id string, now time.Time) (*msgTemplate, *apiError) {
	switch {
	case req.Name == "":
		return nil, paramErr("The parameter name is required.")
	case !templateNameRE.MatchString(req.Name):
		return nil, paramErr("Param name must contain only lowercase letters, digits and underscores.")
	case req.Language == "":
		return nil, paramErr("The parameter language is required.")
	case !languageRE.MatchString(req.Language):
		return nil, paramErr("Param language %q is not a supported language code.", req.Language)
	}
	cat := strings.ToUpper(req.Category)
	if cat != "MARKETING" && cat != "UTILITY" && cat != "AUTHENTICATION" {
		return nil, paramErr("Param category must be one of {MARKETING, UTILITY, AUTHENTICATION} - got %q.", req.Category)
	}
	format := strings.ToUpper(req.ParameterFormat)
	if format == "" {
		format = "POSITIONAL"
	}
	if format != "POSITIONAL" && format != "NAMED" {
		return nil, paramErr("Param parameter_format must be one of {POSITIONAL, NAMED}.")
	}
	t := &msgTemplate{ID: id, Name: req.Name, Language: req.Language, Category: cat, Status: StatusPending,
		ParameterFormat: format, Reason: "NONE", CreatedAt: now}
	var bodyText string
	seenBody := false
	for _, c := range req.Components {
		c.Type = strings.ToUpper(c.Type)
		c.Format = strings.ToUpper(c.Format)
		switch c.Type {
		case "HEADER":
			if c.Format == "" || c.Format == "TEXT" {
				if c.Text == "" || utf8.RuneCountInString(c.Text) > 60 {
					return nil, creationErr(2388040, "Field too long", "A text header needs 1 to 60 characters.")
				}
				if _, vars := parseText(c.Text); len(vars) > 1 {
					return nil, creationErr(2388047, "Invalid header", "A text header can have at most one variable.")
				}
			}
		case "BODY":
			seenBody, bodyText = true, c.Text
			if utf8.RuneCountInString(c.Text) > 1024 {
				return nil, creationErr(2388040, "Field too long", "The body can have at most 1024 characters.")
			}
		case "FOOTER":
			if utf8.RuneCountInString(c.Text) > 60 || strings.Contains(c.Text, "{{") {
				return nil, creationErr(2388073, "Invalid footer", "The footer has at most 60 characters and no variables.")
			}
		case "BUTTONS":
			if len(c.Buttons) == 0 || len(c.Buttons) > 10 {
				return nil, paramErr("A BUTTONS component needs 1 to 10 buttons.")
			}
			for i := range c.Buttons {
				c.Buttons[i].Type = strings.ToUpper(c.Buttons[i].Type)
				if c.Buttons[i].Text == "" {
					return nil, paramErr("Button %d needs a text.", i)
				}
			}
		default:
			return nil, paramErr("Param components[type] must be one of {HEADER, BODY, FOOTER, BUTTONS} - got %q.", c.Type)
		}
		t.Components = append(t.Components, c)
	}
	if !seenBody || strings.TrimSpace(bodyText) == "" {
		if cat != "AUTHENTICATION" {
			return nil, paramErr("The template needs a BODY component with text.")
		}
		bodyText = "{{1}} is your verification code."
		t.Components = append(t.Components, TemplateComponent{Type: "BODY", Text: bodyText})
	}
	_, vars := parseText(bodyText)
	if len(vars) > 0 {
		trimmed := strings.TrimSpace(bodyText)
		if strings.HasPrefix(trimmed, "{{") || strings.HasSuffix(trimmed, "}}") {
			return nil, creationErr(2388299, "Variables can't be at the start or end", "The body can't start or end with a variable.")
		}
	}
	for i, v := range vars {
		if format == "POSITIONAL" {
			if n, err := strconv.Atoi(v); err != nil || n < 1 {
				return nil, paramErr("Positional templates use {{1}}, {{2}}, …; got {{%s}}.", v)
			}
			if !slices.Contains(vars, strconv.Itoa(i+1)) {
				return nil, paramErr("Positional variables must run from {{1}} without gaps.")
			}
		} else if !namedVarRE.MatchString(v) {
			return nil, paramErr("Named variables use lowercase letters, digits and underscores; got {{%s}}.", v)
		}
	}
	t.derive()
	return t, nil
}

func templateCategory(t *msgTemplate) string { return strings.ToLower(t.Category) }

func (t *msgTemplate) String() string { return fmt.Sprintf("%s/%s", t.Name, t.Language) }
