package sandbox

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The fake phone: what each recipient's WhatsApp would show, with a form to
// answer. Server-rendered with html/template; one stylesheet, no scripts, no
// inline styles, so it works under a strict CSP.

//go:embed assets/phone.html assets/phone.css
var assets embed.FS

func parsePages() *template.Template {
	return template.Must(template.New("phone").ParseFS(assets, "assets/phone.html"))
}

type phoneIndexView struct {
	Base    string
	Chats   []chatSummary
	Numbers []Number
}

type chatSummary struct {
	WaID, Number, Name, Last, When string
	Count                          int
	at                             time.Time
}

type phoneChatView struct {
	Base, WaID, Number, Name string
	Businesses               []businessTab
	Selected                 *businessTab
	Bubbles                  []bubble
	OptedOut                 bool
	Live                     bool
}

type businessTab struct {
	PhoneNumberID, Name, Display string
	Current                      bool
}

type bubble struct {
	Inbound                     bool
	Header, Media, Body, Footer string
	Buttons                     []bubbleButton
	Time                        string
	Status, StatusLabel, Ticks  string
	Error                       string
	WAMID                       string
	Tapped                      string
}

type bubbleButton struct {
	Text, Payload, URL string
	Quick              bool
}

func (s *Server) renderPage(w http.ResponseWriter, name string, v any) {
	var buf bytes.Buffer
	if err := s.pages.ExecuteTemplate(&buf, name, v); err != nil {
		s.log.Error("sandbox: rendering the fake phone", "err", err)
		http.Error(w, "the page could not be drawn", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

func (s *Server) phoneIndex(w http.ResponseWriter, r *http.Request) {
	if n := r.URL.Query().Get("number"); n != "" {
		if waid, ok := digitsOf(n); ok {
			http.Redirect(w, r, mountPrefix(r)+"/_sandbox/phone/"+waid, http.StatusSeeOther)
			return
		}
	}
	v := phoneIndexView{Base: mountPrefix(r), Numbers: s.Numbers()}
	s.st.Load().chats.each(func(waid string, c *chat) {
		c.mu.Lock()
		cs := chatSummary{WaID: waid, Number: "+" + waid, Name: c.name, Count: len(c.items), at: c.last, When: c.last.Format("2 Jan 15:04")}
		if len(c.items) > 0 {
			cs.Last = snippet(c.items[len(c.items)-1])
		}
		c.mu.Unlock()
		v.Chats = append(v.Chats, cs)
	})
	slices.SortFunc(v.Chats, func(a, b chatSummary) int { return b.at.Compare(a.at) })
	if len(v.Chats) > 500 {
		v.Chats = v.Chats[:500]
	}
	s.renderPage(w, "index", v)
}

func snippet(m *msgRecord) string {
	var t string
	switch {
	case m.bound != nil:
		t = m.bound.bodyText()
	case m.text != "":
		t = m.text
	default:
		t = "[" + m.typ + "]"
	}
	if r := []rune(t); len(r) > 80 {
		t = string(r[:79]) + "…"
	}
	return t
}

func (s *Server) phoneChat(w http.ResponseWriter, r *http.Request) {
	waid, ok := digitsOf(r.PathValue("number"))
	if !ok {
		http.Error(w, "That is not a phone number.", http.StatusNotFound)
		return
	}
	st := s.st.Load()
	v := phoneChatView{Base: mountPrefix(r), WaID: waid, Number: "+" + waid, Live: r.URL.Query().Get("live") == "1"}
	var items []*msgRecord
	if c, ok := st.chats.get(waid); ok {
		c.mu.Lock()
		items = slices.Clone(c.items)
		v.Name = c.name
		c.mu.Unlock()
	}
	// Tabs: the businesses in this chat first (most recent first), then the
	// other registered numbers, so a demo can start a conversation.
	selected := r.URL.Query().Get("with")
	var order []string
	for i := len(items) - 1; i >= 0; i-- {
		if !slices.Contains(order, items[i].num.pnid) {
			order = append(order, items[i].num.pnid)
		}
	}
	for _, n := range s.Numbers() {
		if !slices.Contains(order, n.PhoneNumberID) && n.PhoneNumberID != "" {
			order = append(order, n.PhoneNumberID)
		}
	}
	if selected == "" && len(order) > 0 {
		selected = order[0]
	}
	reg := s.reg.Load()
	for _, id := range order {
		n := reg.numbers[id]
		if n == nil {
			continue
		}
		snap := n.snap.Load()
		v.Businesses = append(v.Businesses, businessTab{PhoneNumberID: id, Name: snap.VerifiedName,
			Display: snap.DisplayPhoneNumber, Current: id == selected})
	}
	for i := range v.Businesses {
		if v.Businesses[i].Current {
			v.Selected = &v.Businesses[i]
		}
	}
	if v.Selected != nil {
		v.OptedOut = s.OptedOut(v.Selected.PhoneNumberID, waid)
		for _, m := range items {
			if m.num.pnid == v.Selected.PhoneNumberID {
				v.Bubbles = append(v.Bubbles, bubbleOf(m))
			}
		}
	}
	s.renderPage(w, "chat", v)
}

var tickFor = map[int32][3]string{
	stAccepted:  {"pending", "Sending", "🕓"},
	stSent:      {"sent", "Sent", "✓"},
	stDelivered: {"delivered", "Delivered", "✓✓"},
	stRead:      {"read", "Read", "✓✓"},
	stFailed:    {"failed", "Not delivered", "⚠"},
}

func bubbleOf(m *msgRecord) bubble {
	b := bubble{Inbound: m.inbound, Time: m.at.Format("15:04"), WAMID: m.wamid}
	if m.inbound {
		b.Body = m.text
		if m.typ == "button" || m.typ == "interactive" {
			b.Tapped = m.text
			b.Body = ""
		}
		b.Status, b.StatusLabel, b.Ticks = "delivered", "Delivered", "✓✓"
		if m.readByBusiness.Load() {
			b.Status, b.StatusLabel = "read", "Read by the business"
		}
		return b
	}
	t := tickFor[m.status.Load()]
	b.Status, b.StatusLabel, b.Ticks = t[0], t[1], t[2]
	if code := m.errCode.Load(); code != 0 {
		b.Error = strconv.Itoa(int(code)) + " " + title(int(code))
	}
	switch {
	case m.bound != nil:
		bd := m.bound
		tp := bd.tmpl
		switch tp.headerFormat {
		case "TEXT":
			b.Header = bd.headerText()
		case "":
		default:
			b.Media = strings.ToLower(tp.headerFormat) + ": " + bd.headerMed
		}
		b.Body, b.Footer = bd.bodyText(), tp.footer
		for i, tb := range tp.buttons {
			bb := bubbleButton{Text: tb.Text}
			switch strings.ToUpper(tb.Type) {
			case "QUICK_REPLY":
				bb.Quick = true
				bb.Payload = tb.Text
				if p := bd.button(i); p != "" {
					bb.Payload = p
				}
			case "URL":
				if segs := tp.buttonURLs[i]; segs != nil {
					var vars []string
					for _, sg := range segs {
						if sg.v != "" {
							vars = append(vars, sg.v)
						}
					}
					bb.URL = render(segs, vars, slices.Repeat([]string{bd.button(i)}, len(vars)))
				} else {
					bb.URL = tb.URL
				}
			}
			b.Buttons = append(b.Buttons, bb)
		}
	case m.media != "":
		b.Media = m.typ + ": " + m.media
		b.Body = m.text
	default:
		b.Body = m.text
	}
	return b
}

// phoneReply is the reply form: a text, or a quick-reply tap (payload).
func (s *Server) phoneReply(w http.ResponseWriter, r *http.Request) {
	waid, ok := digitsOf(r.PathValue("number"))
	if !ok || r.ParseForm() != nil {
		http.Error(w, "That is not a phone number.", http.StatusBadRequest)
		return
	}
	pnid := r.PostForm.Get("with")
	in := Inbound{PhoneNumberID: pnid, From: waid, Name: strings.TrimSpace(r.PostForm.Get("name")),
		Text: strings.TrimSpace(r.PostForm.Get("text")), ContextID: r.PostForm.Get("context")}
	if p := r.PostForm.Get("payload"); p != "" {
		in.Text, in.ButtonPayload, in.ButtonText = "", p, r.PostForm.Get("button_text")
	}
	if in.Text == "" && in.ButtonPayload == "" {
		s.backToChat(w, r, waid, pnid)
		return
	}
	if _, err := s.InjectInbound(in); err != nil {
		http.Error(w, "The message could not be sent: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.backToChat(w, r, waid, pnid)
}

// phoneMarketing is "Stop promotions" / "Resume promotions".
func (s *Server) phoneMarketing(w http.ResponseWriter, r *http.Request) {
	waid, ok := digitsOf(r.PathValue("number"))
	if !ok || r.ParseForm() != nil {
		http.Error(w, "That is not a phone number.", http.StatusBadRequest)
		return
	}
	pnid := r.PostForm.Get("with")
	if err := s.SetOptOut(pnid, waid, r.PostForm.Get("action") == "stop"); err != nil {
		http.Error(w, "The preference could not be changed: "+err.Error(), http.StatusBadRequest)
		return
	}
	s.backToChat(w, r, waid, pnid)
}

func (s *Server) backToChat(w http.ResponseWriter, r *http.Request, waid, pnid string) {
	http.Redirect(w, r, mountPrefix(r)+"/_sandbox/phone/"+waid+"?with="+url.QueryEscape(pnid), http.StatusSeeOther)
}

func (s *Server) phoneCSS(w http.ResponseWriter, r *http.Request) {
	css, err := assets.ReadFile("assets/phone.css")
	if err != nil {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(css)
}
