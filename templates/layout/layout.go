// Package layout holds the two page shells: Public (visitors, the privacy
// centre, sign-up and log-in) and App (signed-in members). Both carry the
// operator's contact details and the legal links in the footer, the CSRF
// token for htmx in the <body>, and the flash messages.
//
// Handlers fill a Page; the shells never look anything up themselves.
package layout

import (
	"strconv"

	"github.com/a-h/templ"

	"tidings/templates/components"
)

// Flash is a one-time message; Kind is "success", "error" or "info".
type Flash = components.Flash

// Banner is a standing notice at the top of the app about something that
// needs attention (unverified e-mail, a policy to accept, a suspended org).
// Kind is "info", "warning", "error" or "success"; LinkURL comes from
// package paths.
type Banner struct{ Kind, Text, LinkText, LinkURL string }

// Operator is who runs this installation, shown in every footer.
type Operator struct{ Name, Email, Address string }

// UserNav is the signed-in user as the navigation shows them.
type UserNav struct {
	Name, Email, OrgName, Role string // Role: "owner", "admin" or "member"
	Orgs                       []OrgChoice
}

// OrgChoice is one organisation the user can switch to.
type OrgChoice struct {
	ID      int64
	Name    string
	Current bool
}

// Page is what every shell needs to know about the request.
type Page struct {
	Title   string   // shown as "<Title> · Tidings"
	CSRF    string   // put in every POST form and in the htmx headers
	User    *UserNav // nil for anonymous visitors
	Flash   []Flash  // one-time messages
	Banners []Banner // standing notices, top of the page
	Dev     bool     // show the development tools
	// FakePhone links the WhatsApp sandbox's fake phone (dev only).
	FakePhone string
	Operator  Operator // footer contact details
	Section   string   // active nav item: "home", "privacy", "login", "signup", "dashboard", "team", "profile", "sessions", "outbox", …
}

func pageTitle(title string) string {
	if title == "" {
		return "Tidings"
	}
	return title + " · Tidings"
}

// csrfHeaders is the hx-headers value: JSON built by the encoder, so a
// token can never break out of it.
func csrfHeaders(token string) (string, error) {
	return templ.JSONString(map[string]string{"X-CSRF-Token": token})
}

// current marks the active navigation item for assistive technology and CSS.
func current(section, key string) templ.Attributes {
	if section == key {
		return templ.Attributes{"aria-current": "page"}
	}
	return templ.Attributes{}
}

func roleLabel(role string) string {
	switch role {
	case "owner":
		return "Owner"
	case "admin":
		return "Admin"
	case "member":
		return "Member"
	}
	return role
}

func bannerKind(kind string) string {
	switch kind {
	case "warning", "error", "success":
		return kind
	}
	return "info"
}

func bannerWord(kind string) string {
	switch bannerKind(kind) {
	case "warning":
		return "Action needed"
	case "error":
		return "Problem"
	case "success":
		return "Done"
	}
	return "Note"
}

func orgValue(id int64) string { return strconv.FormatInt(id, 10) }
