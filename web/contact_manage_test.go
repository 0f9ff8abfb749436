package web_test

import (
	"context"
	"errors"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"tidings/internal/contact"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// countContacts counts the org's contacts matching f.
func countContacts(t *testing.T, e *webtest.Env, orgID int64, f contact.Filter) int64 {
	t.Helper()
	n, err := e.Contacts.Count(context.Background(), orgID, f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestContactCreateBadInputStoresNothing(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Creator")
	list, err := e.Contacts.CreateList(context.Background(), owner.OrgID, owner.UserID, "Regulars", "")
	if err != nil {
		t.Fatal(err)
	}
	c := e.Client()
	c.Login(owner)
	r := c.Get(paths.ContactNew)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="contact-form"`) || !strings.Contains(r.Body, "Regulars") {
		t.Fatalf("new contact form: status %d", r.Status)
	}
	if !strings.Contains(r.Body, `<option value="GB" selected`) {
		t.Error("the country does not default to the org's")
	}
	good := url.Values{"phone": {"07911 123401"}, "country": {"GB"}, "name": {"Nia Good"}, "email": {"nia@example.com"}, "language": {"en"},
		"tags": {"vip, newsletter"}, "attr_key.0": {"City"}, "attr_value.0": {"Leeds"}, "lists": {itoa(list.ID)},
		"consent": {contact.EventOptIn}, "consent.lawful_basis": {"consent"}, "consent.evidence": {"Signed up at the till on 3 March"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for kk, vv := range good {
			f[kk] = vv
		}
		f.Set(k, v)
		return f
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want string
	}{
		{"no phone", with("phone", ""), "Type the phone number: every contact needs one."},
		{"bad phone", with("phone", "12345"), "Not a valid phone number for GB."},
		{"bad e-mail", with("email", "nia@"), "This is not a valid e-mail address."},
		{"bad language", with("language", "english please"), "Use a language code like en or pt-BR."},
		{"too long a name", with("name", strings.Repeat("n", 300)), "At most"},
		{"custom field without a name", with("attr_key.0", "  "), "Give every custom field a name (letters or digits)."},
		{"opt-in without a basis", with("consent.lawful_basis", ""), "Choose the lawful basis."},
		{"opt-in without evidence", with("consent.evidence", " "), "Say how and when this person agreed."},
		{"unknown consent", with("consent", "restricted-ish"), "Choose what changed."},
	} {
		r := c.Post(paths.Contacts, tc.form)
		if r.Status != http.StatusUnprocessableEntity {
			t.Errorf("%s: status %d, want 422", tc.name, r.Status)
			continue
		}
		if body := html.UnescapeString(r.Body); !strings.Contains(strings.ToLower(body), strings.ToLower(tc.want)) || !strings.Contains(body, "Nothing was saved") {
			t.Errorf("%s: the form lacks %q", tc.name, tc.want)
		}
		if !strings.Contains(r.Body, `data-testid="field-error"`) || !strings.Contains(r.Body, `value="Nia Good"`) && tc.name != "too long a name" {
			t.Errorf("%s: no inline error, or the typed values are lost", tc.name)
		}
		if n := countContacts(t, e, owner.OrgID, contact.Filter{}); n != 0 {
			t.Fatalf("%s: %d contacts stored", tc.name, n)
		}
	}
	// Several errors at once, each next to its field.
	r = c.Post(paths.Contacts, url.Values{"phone": {"12"}, "country": {"GB"}, "email": {"x@"}, "language": {"!!"}})
	for _, want := range []string{"Not a valid phone number for GB.", "This is not a valid e-mail address.", "Use a language code like en or pt-BR."} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("several errors: the form lacks %q", want)
		}
	}
	// htmx gets the form alone, with the 422.
	r = hxRequest(t, e, c, paths.Contacts, with("email", "nia@"))
	if r.Status != http.StatusUnprocessableEntity || strings.Contains(r.Body, "<html") || !strings.HasPrefix(strings.TrimSpace(r.Body), `<div id="contact-form"`) {
		t.Errorf("htmx: status %d, body starts %.80q", r.Status, r.Body)
	}

	// Good input: stored, with its list, custom field and consent record.
	r = c.Post(paths.Contacts, good)
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/app/contacts/") {
		t.Fatalf("create: status %d, location %q", r.Status, r.Header.Get("Location"))
	}
	pg, err := e.Contacts.List(context.Background(), owner.OrgID, contact.Filter{}, contact.Page{})
	if err != nil || len(pg.Contacts) != 1 {
		t.Fatalf("after create: %d contacts, %v", len(pg.Contacts), err)
	}
	d, err := e.Contacts.Get(context.Background(), owner.OrgID, pg.Contacts[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.PhoneE164 != "+447911123401" || d.Name != "Nia Good" || d.Email != "nia@example.com" || d.Language != "en" ||
		!slices.Equal(d.Tags, []string{"newsletter", "vip"}) || d.Attributes["city"] != "Leeds" || d.ConsentState != contact.ConsentOptedIn ||
		len(d.Lists) != 1 || d.Lists[0].ID != list.ID || len(d.Timeline) != 1 || d.Timeline[0].Evidence != "Signed up at the till on 3 March" {
		t.Errorf("created %+v", d)
	}
	if r := c.Get(r.Header.Get("Location")); !strings.Contains(r.Body, "Contact added.") {
		t.Error("no flash after create")
	}
	// The same number again is a field error, not a second contact.
	if r := c.Post(paths.Contacts, with("phone", "+44 7911 123401")); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "This number is already in your contacts.") {
		t.Errorf("duplicate: status %d", r.Status)
	}
	// A list that is not the org's: refused, nothing stored.
	other := e.NewOwner("OtherLists")
	ol, err := e.Contacts.CreateList(context.Background(), other.OrgID, other.UserID, "Theirs", "")
	if err != nil {
		t.Fatal(err)
	}
	if r := c.Post(paths.Contacts, with("phone", "07911 123402")); r.Status != http.StatusSeeOther {
		t.Fatalf("second contact: status %d", r.Status)
	}
	r = c.Post(paths.Contacts, func() url.Values { f := with("phone", "07911 123403"); f.Set("lists", itoa(ol.ID)); return f }())
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "One of the chosen lists no longer exists") {
		t.Errorf("another org's list: status %d", r.Status)
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{}); n != 2 {
		t.Errorf("%d contacts, want 2", n)
	}
}

func TestContactEdit(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Editor")
	ct := newTestContact(t, e, owner, "Eve Edit", "07911 123010")
	if _, err := e.Contacts.Update(context.Background(), owner.OrgID, owner.UserID, ct.ID, contact.ContactInput{Phone: ct.PhoneE164,
		Name: "Eve Edit", Email: "eve@example.com", Tags: []string{"vip"}, Attributes: map[string]string{"city": "York", "size": "38"}}); err != nil {
		t.Fatal(err)
	}
	newTestContact(t, e, owner, "Taken Number", "07911 123011")
	m := e.NewMember(owner, "member")
	c := e.Client()
	c.Login(m) // members may edit

	show := c.Get(paths.Contact(ct.ID))
	if !strings.Contains(show.Body, `href="`+paths.ContactEdit(ct.ID)+`"`) {
		t.Error("the contact page has no Edit link")
	}
	r := c.Get(paths.ContactEdit(ct.ID))
	for _, want := range []string{`value="+447911123010"`, `value="Eve Edit"`, `value="eve@example.com"`, `value="vip"`, `value="city"`, `value="York"`,
		`action="` + paths.ContactUpdate(ct.ID) + `"`} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("edit form lacks %s", want)
		}
	}
	if strings.Contains(r.Body, `name="consent"`) {
		t.Error("the edit form offers consent (it belongs on the contact page)")
	}
	before, _ := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID)
	form := url.Values{"phone": {"+447911123010"}, "country": {"GB"}, "name": {"Eve Edited"}, "email": {"eve@example.com"}, "tags": {"vip, edited"},
		"attr_key.0": {"city"}, "attr_value.0": {"Leeds"}, "attr_key.1": {"size"}, "attr_value.1": {""}}
	for name, bad := range map[string][2]string{
		"taken number": {"phone", "07911 123011"},
		"bad number":   {"phone", "0791"},
		"bad e-mail":   {"email", "eve at example"},
	} {
		f := url.Values{}
		for k, v := range form {
			f[k] = v
		}
		f.Set(bad[0], bad[1])
		r := c.Post(paths.ContactUpdate(ct.ID), f)
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="field-error"`) {
			t.Errorf("%s: status %d", name, r.Status)
		}
		if name == "taken number" && !strings.Contains(r.Body, "Another contact already has this number.") {
			t.Error("taken number: no words for it")
		}
		if after, _ := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID); !after.UpdatedAt.Equal(before.UpdatedAt) || after.Name != "Eve Edit" {
			t.Errorf("%s: the contact changed", name)
		}
	}
	r = c.Post(paths.ContactUpdate(ct.ID), form)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.Contact(ct.ID) {
		t.Fatalf("update: status %d, location %q", r.Status, r.Header.Get("Location"))
	}
	after, _ := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID)
	if after.Name != "Eve Edited" || !slices.Equal(after.Tags, []string{"edited", "vip"}) || after.Attributes["city"] != "Leeds" ||
		len(after.Attributes) != 1 || after.ConsentState != contact.ConsentOptedIn {
		t.Errorf("after update %+v", after)
	}
	// Another org cannot open or save the form.
	oc := e.Client()
	oc.Login(e.NewOwner("Stranger"))
	for _, r := range []*webtest.Response{oc.Get(paths.ContactEdit(ct.ID)), oc.Post(paths.ContactUpdate(ct.ID), form)} {
		if r.Status != http.StatusNotFound || strings.Contains(r.Body, "Eve") {
			t.Errorf("other org: status %d", r.Status)
		}
	}
}

func TestContactConsentAndLists(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Consenter")
	ct := newTestContact(t, e, owner, "Cole Consent", "07911 123020")
	l, err := e.Contacts.CreateList(context.Background(), owner.OrgID, owner.UserID, "Weekly", "")
	if err != nil {
		t.Fatal(err)
	}
	m := e.NewMember(owner, "member")
	c := e.Client()
	c.Login(m)

	// Bad consent input: 422 next to the fields, no event.
	r := c.Post(paths.ContactConsent(ct.ID), url.Values{"kind": {contact.EventOptIn}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose the lawful basis.") || !strings.Contains(r.Body, "Say how and when this person agreed.") {
		t.Errorf("bad opt-in: status %d", r.Status)
	}
	if r := c.Post(paths.ContactConsent(ct.ID), url.Values{"kind": {contact.EventRestricted}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("restriction from the contact page: status %d, want 422", r.Status)
	}
	if r := hxRequest(t, e, c, paths.ContactConsent(ct.ID), url.Values{"kind": {""}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.HasPrefix(strings.TrimSpace(r.Body), `<section id="consent-form"`) || !strings.Contains(r.Body, "Choose what changed.") {
		t.Errorf("htmx consent without a choice: status %d, body starts %.60q", r.Status, r.Body)
	}
	if d, _ := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID); len(d.Timeline) != 1 {
		t.Fatalf("bad input recorded %d events", len(d.Timeline)-1)
	}
	// Opt-out, then a team member's opt-in: recorded, but they stay out.
	if r := c.Post(paths.ContactConsent(ct.ID), url.Values{"kind": {contact.EventOptOut}, "evidence": {"Asked us to stop on the phone"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("opt-out: status %d", r.Status)
	}
	r = c.Post(paths.ContactConsent(ct.ID), url.Values{"kind": {contact.EventOptIn}, "lawful_basis": {"consent"}, "evidence": {"Said yes again"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("opt-in: status %d", r.Status)
	}
	d, _ := e.Contacts.Get(context.Background(), owner.OrgID, ct.ID)
	if d.ConsentState != contact.ConsentOptedOut || len(d.Timeline) != 3 {
		t.Errorf("consent %s with %d events, want opted out with 3", d.ConsentState, len(d.Timeline))
	}
	if r := c.Get(paths.Contact(ct.ID)); !strings.Contains(r.Body, "They stay opted out") || !strings.Contains(r.Body, "only they can opt back in") {
		t.Error("the page does not explain that only the person can undo an opt-out")
	}

	// Lists from the contact page.
	r = c.Get(paths.Contact(ct.ID))
	if !strings.Contains(r.Body, `data-testid="contact-list-add"`) || !strings.Contains(r.Body, ">Weekly</option>") {
		t.Error("the contact page offers no list to add to")
	}
	if r := c.Post(paths.ContactListAdd(ct.ID), url.Values{"list_id": {itoa(l.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("add to list: status %d", r.Status)
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{ListID: l.ID}); n != 1 {
		t.Errorf("list has %d members, want 1", n)
	}
	r = c.Get(paths.Contact(ct.ID))
	if !strings.Contains(r.Body, `href="`+paths.List(l.ID)+`"`) || !strings.Contains(r.Body, `data-testid="contact-list-remove"`) {
		t.Error("the contact page does not show the list with a remove button")
	}
	if r := c.Post(paths.ContactListRemove(ct.ID), url.Values{"list_id": {itoa(l.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("remove from list: status %d", r.Status)
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{ListID: l.ID}); n != 0 {
		t.Errorf("list has %d members after remove", n)
	}
	// Another org's list, or none: 404, nothing added.
	other := e.NewOwner("Elsewhere")
	ol, _ := e.Contacts.CreateList(context.Background(), other.OrgID, other.UserID, "Theirs", "")
	for _, id := range []string{itoa(ol.ID), "0", "x"} {
		if r := c.Post(paths.ContactListAdd(ct.ID), url.Values{"list_id": {id}}); r.Status != http.StatusNotFound {
			t.Errorf("add to list %s: status %d, want 404", id, r.Status)
		}
	}
	if n := countContacts(t, e, other.OrgID, contact.Filter{ListID: ol.ID}); n != 0 {
		t.Error("a contact went onto another org's list")
	}
}

func TestContactBulkActions(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Bulker")
	ctx := context.Background()
	for i := range 12 {
		in := contact.ContactInput{Phone: "07911 1231" + pad2(i), Country: "GB", Name: "Bulk " + pad2(i)}
		if i%3 == 0 {
			in.Tags = []string{"vip"}
		}
		if i < 5 {
			in.Attributes = map[string]string{"city": "Leeds"}
		}
		if _, err := e.Contacts.Create(ctx, owner.OrgID, owner.UserID, in); err != nil {
			t.Fatal(err)
		}
	}
	// Another org's VIP: never touched.
	other := e.NewOwner("Bystander")
	theirs := newTestContact(t, e, other, "Their VIP", "07911 123199")

	m := e.NewMember(owner, "member")
	mc := e.Client()
	mc.Login(m)
	vip := url.Values{"tag": {"vip"}}

	// The list links to bulk actions on its filter; the page counts it.
	r := mc.Get(paths.Contacts + "?tag=vip")
	if !strings.Contains(r.Body, `href="`+paths.ContactsBulk+`?tag=vip"`) {
		t.Error("the filtered list has no bulk-actions link for its filter")
	}
	r = mc.Get(paths.ContactsBulk + "?tag=vip")
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `<span data-testid="bulk-count">4 contacts</span>`) || !strings.Contains(r.Body, "tagged “vip”") {
		t.Fatalf("bulk page: status %d, or it does not count 4 contacts", r.Status)
	}
	if strings.Contains(r.Body, `data-testid="bulk-delete-section"`) {
		t.Error("a member is offered bulk delete")
	}

	// Tag on the attribute filter: exactly the 5 in Leeds.
	leeds := url.Values{"attr": {"city"}, "value": {"leeds"}, "tags": {"north, leeds"}, "op": {"add"}}
	r = mc.Post(paths.ContactsBulkTag, leeds)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.Contacts+"?attr=city&value=leeds" {
		t.Fatalf("bulk tag: status %d, location %q", r.Status, r.Header.Get("Location"))
	}
	if r := mc.Get(r.Header.Get("Location")); !strings.Contains(r.Body, "Tagged 5 contacts.") || strings.Count(r.Body, `data-testid="contact-row"`) != 5 {
		t.Error("after bulk tag: no flash with the count, or the filter was lost")
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{Tag: "north"}); n != 5 {
		t.Errorf("%d tagged north, want 5", n)
	}
	// Untag the VIPs among them: contacts 0 and 3.
	r = mc.Post(paths.ContactsBulkTag, url.Values{"tag": {"vip"}, "attr": {"city"}, "tags": {"north"}, "op": {"remove"}})
	if r.Status != http.StatusSeeOther {
		t.Fatalf("bulk untag: status %d", r.Status)
	}
	if r := mc.Get(r.Header.Get("Location")); !strings.Contains(r.Body, "Removed the tags from 2 contacts.") {
		t.Error("after bulk untag: no flash with the count")
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{Tag: "north"}); n != 3 {
		t.Errorf("%d tagged north after untag, want 3", n)
	}
	if r := hxRequest(t, e, mc, paths.ContactsBulkTag, url.Values{"tag": {"vip"}, "tags": {""}, "op": {"add"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.HasPrefix(strings.TrimSpace(r.Body), `<section id="bulk-tag"`) || !strings.Contains(r.Body, `name="tag" value="vip"`) {
		t.Errorf("htmx bulk tag without tags: status %d, body starts %.60q", r.Status, r.Body)
	}
	if r := mc.Post(paths.ContactsBulkTag, url.Values{"tag": {"vip"}, "tags": {"x"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "Choose Add tags or Remove tags.") {
		t.Errorf("bulk tag without add or remove: status %d", r.Status)
	}
	// No tags typed: 422 next to the field, nothing changed.
	r = mc.Post(paths.ContactsBulkTag, url.Values{"tag": {"vip"}, "tags": {" , "}, "op": {"add"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Type at least one tag.") {
		t.Errorf("no tags: status %d", r.Status)
	}
	// Add to a list, and the member may not delete.
	l, _ := e.Contacts.CreateList(ctx, owner.OrgID, owner.UserID, "VIPs", "")
	if r := mc.Post(paths.ContactsBulkList, url.Values{"tag": {"vip"}, "list_id": {itoa(l.ID)}}); r.Status != http.StatusSeeOther {
		t.Fatalf("bulk add to list: status %d", r.Status)
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{ListID: l.ID}); n != 4 {
		t.Errorf("%d on the list, want 4", n)
	}
	if r := mc.Post(paths.ContactsBulkDelete, url.Values{"tag": {"vip"}, "confirm": {"4"}}); r.Status != http.StatusForbidden {
		t.Errorf("member bulk delete: status %d, want 403", r.Status)
	}

	// An admin deletes, typing the count.
	admin := e.NewMember(owner, "admin")
	ac := e.Client()
	ac.Login(admin)
	r = ac.Get(paths.ContactsBulk + "?" + vip.Encode())
	if !strings.Contains(r.Body, `data-testid="bulk-delete-section"`) || !strings.Contains(r.Body, `<strong class="confirm__word">4</strong>`) {
		t.Error("the admin's bulk page does not ask to type 4")
	}
	for _, typed := range []string{"", "3", "12", "yes", "four"} {
		r := ac.Post(paths.ContactsBulkDelete, url.Values{"tag": {"vip"}, "confirm": {typed}})
		if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Nothing was deleted: type 4") {
			t.Errorf("bulk delete confirmed with %q: status %d", typed, r.Status)
		}
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{}); n != 12 {
		t.Fatalf("refused deletes left %d contacts, want 12", n)
	}
	// The filter grew since the page was shown: the old count is refused.
	if _, err := e.Contacts.Create(ctx, owner.OrgID, owner.UserID, contact.ContactInput{Phone: "07911 123150", Country: "GB", Tags: []string{"vip"}}); err != nil {
		t.Fatal(err)
	}
	if r := ac.Post(paths.ContactsBulkDelete, url.Values{"tag": {"vip"}, "confirm": {"4"}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.Contains(r.Body, "type 5, the number of contacts that match now") {
		t.Errorf("stale count: status %d", r.Status)
	}
	r = ac.Post(paths.ContactsBulkDelete, url.Values{"tag": {"vip"}, "confirm": {" 5 "}})
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.Contacts {
		t.Fatalf("bulk delete: status %d", r.Status)
	}
	if r := ac.Get(paths.Contacts); !strings.Contains(r.Body, "Deleted 5 contacts.") {
		t.Error("no flash with the count after bulk delete")
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{}); n != 8 {
		t.Errorf("%d contacts left, want 8", n)
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{Tag: "vip"}); n != 0 {
		t.Errorf("%d VIPs left", n)
	}
	if _, err := e.Contacts.Get(ctx, other.OrgID, theirs.ID); err != nil {
		t.Errorf("the other org's VIP is gone: %v", err)
	}
	// Nothing left to match: refused, whatever is typed.
	if r := ac.Post(paths.ContactsBulkDelete, url.Values{"tag": {"vip"}, "confirm": {"0"}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("delete of nothing: status %d", r.Status)
	}
}

func TestContactListAttributeFilter(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Filterer")
	ctx := context.Background()
	for i, city := range []string{"Leeds", "leeds", "York", ""} {
		in := contact.ContactInput{Phone: "07911 12304" + pad2(i)[1:], Country: "GB", Name: "City " + pad2(i)}
		if city != "" {
			in.Attributes = map[string]string{"city": city}
		}
		if _, err := e.Contacts.Create(ctx, owner.OrgID, owner.UserID, in); err != nil {
			t.Fatal(err)
		}
	}
	c := e.Client()
	c.Login(owner)
	for q, want := range map[string]int{"attr=city&value=LEEDS": 2, "attr=City&value=york": 1, "attr=city": 3, "attr=colour": 0, "value=leeds": 4} {
		r := c.Get(paths.Contacts + "?" + q)
		if n := strings.Count(r.Body, `data-testid="contact-row"`); r.Status != http.StatusOK || n != want {
			t.Errorf("?%s: status %d, %d rows, want %d", q, r.Status, n, want)
		}
	}
	r := c.Get(paths.Contacts + "?attr=city&value=Leeds")
	if !strings.Contains(r.Body, `name="attr" value="city"`) || !strings.Contains(r.Body, `href="`+paths.ContactsExport+`?attr=city&amp;value=Leeds"`) {
		t.Error("the filter form or the export link lost the custom-field filter")
	}
	// The export honours it.
	r = c.Get(paths.ContactsExport + "?attr=city&value=york")
	if !strings.Contains(r.Body, "City 02") || strings.Contains(r.Body, "City 00") {
		t.Errorf("filtered export:\n%s", r.Body)
	}
}

func TestListsPages(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Lister")
	ctx := context.Background()
	ann := newTestContact(t, e, owner, "Ann Listed", "07911 123060")
	newTestContact(t, e, owner, "Ben Unlisted", "07911 123061")
	m := e.NewMember(owner, "member")
	mc := e.Client()
	mc.Login(m)

	r := mc.Get(paths.Lists)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "No lists yet") || !strings.Contains(r.Body, `action="`+paths.Lists+`"`) {
		t.Fatalf("empty lists page: status %d", r.Status)
	}
	if r := mc.Post(paths.Lists, url.Values{"name": {"  "}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Give the list a name") {
		t.Errorf("nameless list: status %d", r.Status)
	}
	if r := hxRequest(t, e, mc, paths.Lists, url.Values{"name": {""}}); r.Status != http.StatusUnprocessableEntity ||
		!strings.HasPrefix(strings.TrimSpace(r.Body), `<div id="list-form"`) {
		t.Errorf("htmx nameless list: status %d, body starts %.60q", r.Status, r.Body)
	}
	r = mc.Post(paths.Lists, url.Values{"name": {"Regulars"}, "description": {"Come every week"}})
	if r.Status != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/app/contacts/lists/") {
		t.Fatalf("create list: status %d", r.Status)
	}
	lists, _ := e.Contacts.Lists(ctx, owner.OrgID)
	if len(lists) != 1 || lists[0].Name != "Regulars" {
		t.Fatalf("lists %+v", lists)
	}
	l := lists[0]
	if r := mc.Post(paths.Lists, url.Values{"name": {"regulars"}}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "A list with this name already exists.") {
		t.Errorf("duplicate list: status %d", r.Status)
	}
	r = mc.Get(paths.List(l.ID))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, "No one on this list yet") || !strings.Contains(r.Body, "Come every week") {
		t.Errorf("empty list page: status %d", r.Status)
	}
	if strings.Contains(r.Body, `data-testid="list-delete"`) {
		t.Error("a member is offered the list delete")
	}
	if err := e.Contacts.AddToList(ctx, owner.OrgID, owner.UserID, l.ID, []int64{ann.ID}); err != nil {
		t.Fatal(err)
	}
	r = mc.Get(paths.List(l.ID))
	if n := strings.Count(r.Body, `data-testid="contact-row"`); n != 1 || !strings.Contains(r.Body, "Ann Listed") || strings.Contains(r.Body, "Ben Unlisted") {
		t.Errorf("list page: %d rows, want Ann only", n)
	}
	if !strings.Contains(r.Body, `href="`+paths.ContactsBulk+"?list="+itoa(l.ID)+`"`) {
		t.Error("the list page's bulk actions do not carry the list")
	}
	if r := mc.Get(paths.Lists); !strings.Contains(r.Body, `<td data-label="Contacts" class="num tabular" data-testid="list-members">1</td>`) {
		t.Error("the lists page does not count the list's member")
	}
	// Rename.
	if r := mc.Post(paths.ListUpdate(l.ID), url.Values{"name": {""}}); r.Status != http.StatusUnprocessableEntity {
		t.Errorf("rename to nothing: status %d", r.Status)
	}
	if r := mc.Post(paths.ListUpdate(l.ID), url.Values{"name": {"Weekly"}, "description": {"Every Friday"}}); r.Status != http.StatusSeeOther {
		t.Fatalf("rename: status %d", r.Status)
	}
	if got, _ := e.Contacts.GetList(ctx, owner.OrgID, l.ID); got.Name != "Weekly" || got.Description != "Every Friday" {
		t.Errorf("renamed list %+v", got)
	}
	// Delete: admins only, with the name typed.
	if r := mc.Post(paths.ListDelete(l.ID), url.Values{"confirm": {"Weekly"}}); r.Status != http.StatusForbidden {
		t.Errorf("member deletes a list: status %d, want 403", r.Status)
	}
	ac := e.Client()
	ac.Login(owner)
	for _, typed := range []string{"", "Regulars", "Week"} {
		if r := ac.Post(paths.ListDelete(l.ID), url.Values{"confirm": {typed}}); r.Status != http.StatusUnprocessableEntity ||
			!strings.Contains(r.Body, "Nothing was deleted: type the list&#39;s name, Weekly") {
			t.Errorf("delete confirmed with %q: status %d", typed, r.Status)
		}
	}
	if r := ac.Post(paths.ListDelete(l.ID), url.Values{"confirm": {"weekly"}}); r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.Lists {
		t.Fatalf("delete list: status %d", r.Status)
	}
	if _, err := e.Contacts.GetList(ctx, owner.OrgID, l.ID); !errors.Is(err, contact.ErrNotFound) {
		t.Errorf("deleted list: %v", err)
	}
	if _, err := e.Contacts.Get(ctx, owner.OrgID, ann.ID); err != nil {
		t.Errorf("the list's contact went with it: %v", err)
	}
	// Another org sees none of it.
	oc := e.Client()
	oc.Login(e.NewOwner("Peeker"))
	l2, _ := e.Contacts.CreateList(ctx, owner.OrgID, owner.UserID, "Secret list", "")
	for _, r := range []*webtest.Response{oc.Get(paths.List(l2.ID)), oc.Post(paths.ListUpdate(l2.ID), url.Values{"name": {"Mine"}}),
		oc.Post(paths.ListDelete(l2.ID), url.Values{"confirm": {"Secret list"}})} {
		if r.Status != http.StatusNotFound || strings.Contains(r.Body, "Secret list") {
			t.Errorf("other org: status %d", r.Status)
		}
	}
	if r := oc.Get(paths.Lists); strings.Contains(r.Body, "Secret list") {
		t.Error("another org's lists page shows the list")
	}
}

// hxRequest posts a form as htmx does: the page's token in the
// X-CSRF-Token header (hx-headers on the body), HX-Request set.
func hxRequest(t *testing.T, e *webtest.Env, c *webtest.Client, path string, form url.Values) *webtest.Response {
	t.Helper()
	m := csrfValueRE.FindStringSubmatch(c.Get(paths.ContactNew).Body)
	if m == nil {
		t.Fatal("no CSRF token on the form page")
	}
	req, _ := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("HX-Request", "true")
	req.Header.Set("X-CSRF-Token", html.UnescapeString(m[1]))
	return c.Do(req)
}

var csrfValueRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func pad2(i int) string { return string([]byte{byte('0' + i/10%10), byte('0' + i%10)}) }
