package web_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tidings/internal/contact"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// newTestContact adds a contact to m's org as m, opted in by hand.
func newTestContact(t *testing.T, e *webtest.Env, m *webtest.Member, name, phone string) contact.Contact {
	t.Helper()
	c, err := e.Contacts.Create(context.Background(), m.OrgID, m.UserID, contact.ContactInput{Phone: phone, Country: "GB", Name: name,
		Email: "someone@example.test", Tags: []string{"vip"},
		Consent: &contact.ConsentInput{Kind: contact.EventOptIn, Source: contact.SourceManual, LawfulBasis: "consent", Evidence: "Told us at the till"}})
	if err != nil {
		t.Fatalf("fixture: contact: %v", err)
	}
	return c
}

func TestContactShowAndIsolation(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Shower")
	ct := newTestContact(t, e, owner, "Canary Person", "07911 123001")

	c := e.Client()
	c.Login(owner)
	r := c.Get(paths.Contact(ct.ID))
	if r.Status != http.StatusOK {
		t.Fatalf("contact page: status %d", r.Status)
	}
	for _, want := range []string{"Canary Person", "+447911123001", "someone@example.test", "vip", "Opted in",
		`data-testid="consent-event"`, "Told us at the till", "By a team member", "Consent", "Messages", "once campaigns are sent",
		`data-testid="contact-delete"`, `action="` + paths.ContactDelete(ct.ID) + `"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("contact page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, `data-testid="contact-restricted"`) {
		t.Error("an unrestricted contact is shown as restricted")
	}
	// The list links the row's name to the page, and offers the export.
	r = c.Get(paths.Contacts + "?consent=opted_in")
	if !strings.Contains(r.Body, `href="`+paths.Contact(ct.ID)+`"`) {
		t.Error("the contacts list does not link to the contact's page")
	}
	if !strings.Contains(r.Body, `href="`+paths.ContactsExport+`?consent=opted_in"`) {
		t.Error("the contacts list has no export link for the current filter")
	}

	// Another org's owner: 404, nothing of the contact.
	other := e.NewOwner("Other")
	oc := e.Client()
	oc.Login(other)
	for _, r := range []*webtest.Response{oc.Get(paths.Contact(ct.ID)), oc.Post(paths.ContactDelete(ct.ID), nil)} {
		if r.Status != http.StatusNotFound || strings.Contains(r.Body, "Canary") || strings.Contains(r.Body, "123001") {
			t.Errorf("other org: status %d (or the canary shows)", r.Status)
		}
	}
	if r := oc.Get(paths.ContactsExport); r.Status != http.StatusOK || strings.Contains(r.Body, "Canary") {
		t.Errorf("other org's export: status %d, or it holds the canary", r.Status)
	}
	if _, err := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID); err != nil {
		t.Fatalf("the contact is gone after another org's delete: %v", err)
	}
	if r := c.Get(paths.Contact(ct.ID + 100000)); r.Status != http.StatusNotFound {
		t.Errorf("unknown contact: status %d", r.Status)
	}
	if r := c.Get("/app/contacts/abc"); r.Status != http.StatusNotFound {
		t.Errorf("junk id: status %d", r.Status)
	}
}

func TestContactDeleteAndExportNeedAdmin(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Deleter")
	ct := newTestContact(t, e, owner, "Dora Delete", "07911 123002")
	evil := newTestContact(t, e, owner, `=HYPERLINK("http://evil.example","x")`, "07911 123003")

	m := e.NewMember(owner, "member")
	mc := e.Client()
	mc.Login(m)
	r := mc.Get(paths.Contact(ct.ID))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "Dora Delete") {
		t.Fatalf("member: contact page status %d", r.Status)
	}
	if strings.Contains(r.Body, `data-testid="contact-delete"`) {
		t.Error("a member is offered the delete button")
	}
	if strings.Contains(mc.Get(paths.Contacts).Body, `data-testid="contact-export"`) {
		t.Error("a member is offered the export link")
	}
	if r := mc.Post(paths.ContactDelete(ct.ID), nil); r.Status != http.StatusForbidden {
		t.Errorf("member delete: status %d, want 403", r.Status)
	}
	if r := mc.Get(paths.ContactsExport); r.Status != http.StatusForbidden || strings.Contains(r.Body, "Dora") {
		t.Errorf("member export: status %d, want 403", r.Status)
	}

	admin := e.NewMember(owner, "admin")
	ac := e.Client()
	ac.Login(admin)
	r = ac.Get(paths.ContactsExport)
	if r.Status != http.StatusOK {
		t.Fatalf("export: status %d", r.Status)
	}
	if ctype := r.Header.Get("Content-Type"); ctype != "text/csv; charset=utf-8" {
		t.Errorf("export Content-Type %q", ctype)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="contacts-`) || !strings.HasSuffix(cd, `.csv"`) {
		t.Errorf("export Content-Disposition %q", cd)
	}
	if cc := r.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("export Cache-Control %q", cc)
	}
	if !strings.Contains(r.Body, "Dora Delete") || !strings.Contains(r.Body, "+447911123002") {
		t.Errorf("export lacks the contact:\n%s", r.Body)
	}
	if strings.Contains(r.Body, ",=HYPERLINK") || strings.Contains(r.Body, "\n=HYPERLINK") || strings.Contains(r.Body, `"=HYPERLINK`) ||
		!strings.Contains(r.Body, "'=HYPERLINK") {
		t.Errorf("export does not neutralise the formula name:\n%s", r.Body)
	}
	// The filter travels: a search for Dora leaves the formula out.
	if r := ac.Get(paths.ContactsExport + "?" + url.Values{"q": {"Dora"}}.Encode()); !strings.Contains(r.Body, "Dora") || strings.Contains(r.Body, "HYPERLINK") {
		t.Errorf("filtered export:\n%s", r.Body)
	}
	_ = evil

	// Delete is irreversible: without the name typed, nothing happens.
	for _, typed := range []string{"", "Dora", "Delete", "+447911123003"} {
		r = ac.Post(paths.ContactDelete(ct.ID), url.Values{"confirm": {typed}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Nothing was deleted: type Dora Delete exactly as shown") {
			t.Errorf("delete confirmed with %q: status %d", typed, r.Status)
		}
		if _, err := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID); err != nil {
			t.Fatalf("delete confirmed with %q erased the contact: %v", typed, err)
		}
	}
	// Typed as shown (any case, any spacing): the contact is gone, the list
	// says so.
	r = ac.Post(paths.ContactDelete(ct.ID), url.Values{"confirm": {"  dora   DELETE "}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.Contacts {
		t.Fatalf("delete: status %d, location %q", r.Status, r.Header.Get("Location"))
	}
	if _, err := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID); !errors.Is(err, contact.ErrNotFound) {
		t.Errorf("after delete, Get: %v", err)
	}
	r = ac.Get(paths.Contacts)
	if !strings.Contains(r.Body, "Contact deleted.") || strings.Contains(r.Body, "Dora Delete") {
		t.Error("the list after delete lacks the flash or still shows the contact")
	}
	if r := ac.Get(paths.Contact(ct.ID)); r.Status != http.StatusNotFound {
		t.Errorf("deleted contact's page: status %d", r.Status)
	}
	if r := ac.Post(paths.ContactDelete(ct.ID), url.Values{"confirm": {"Dora Delete"}}); r.Status != http.StatusNotFound {
		t.Errorf("deleting again: status %d", r.Status)
	}
}
