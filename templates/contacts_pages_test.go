package templates_test

import (
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"

	"tidings/internal/contact"
	"tidings/templates/components"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// The contact-management pages keep the rules every page keeps (see
// TestEveryPage); the contacts filter is the one GET form, left out of the
// POST form checks.
func TestContactManagementPages(t *testing.T) {
	lists := []contact.List{{ID: 7, Name: "Regulars", Members: 2}, {ID: 8, Name: "Guests"}}
	ann := contact.Contact{ID: 3, PhoneE164: "+447911123456", Name: "Ann", Tags: []string{"vip"}, ConsentState: contact.ConsentOptedOut,
		Attributes: map[string]string{"city": "Leeds"}}
	detail := contact.ContactDetail{Contact: ann, Lists: lists[:1],
		Timeline: []contact.ConsentEvent{{Kind: contact.EventOptOut, Source: contact.SourceContact, At: when}}}
	form := contacts.ContactForm{Phone: "0791", Country: "GB", AttrKeys: []string{"city", ""}, AttrVals: []string{"Leeds", "x"},
		Countries: opts, Lists: lists, ListIDs: []int64{7}, Consent: contact.EventOptIn,
		Errors: components.FormErrors{"phone": "Not a valid number.", "attributes": "Give every custom field a name.", "consent.lawful_basis": "Choose."}}
	list := lists[0]
	filter := contact.Filter{Tag: "vip", Attribute: "city", AttributeValue: "Leeds"}
	pages := map[string]templ.Component{
		"contact-new":  contacts.ContactFormPage(member, form),
		"contact-edit": contacts.ContactFormPage(member, contacts.ContactForm{ID: 3, Phone: "+447911123456", Countries: opts}),
		"contact-show": contacts.Show(member, contacts.ShowData{Contact: detail, Lists: lists, CanDelete: true, DeleteError: "Type Ann.",
			Consent: contacts.ConsentForm{Kind: contact.EventOptIn, Errors: components.FormErrors{"lawful_basis": "Choose."}}}),
		"contacts": contacts.List(member, contacts.ListData{Contacts: []contact.Contact{ann}, Total: 1, Lists: lists, BaseURL: paths.Contacts,
			Tag: "vip", Filtered: true, CanImport: true}),
		"contacts-empty": contacts.List(member, contacts.ListData{BaseURL: paths.Contacts}),
		"list": contacts.List(member, contacts.ListData{Contacts: []contact.Contact{ann}, Total: 2, List: &list, BaseURL: paths.List(7),
			ListForm: contacts.ListForm{ID: 7, Name: "Regulars", Errors: components.FormErrors{"name": "Taken."}}, CanDelete: true, DeleteError: "Type it."}),
		"list-empty":  contacts.List(member, contacts.ListData{List: &contact.List{ID: 8, Name: "Guests"}, BaseURL: paths.List(8), ListForm: contacts.ListForm{ID: 8}}),
		"lists":       contacts.Lists(member, contacts.ListsData{Lists: lists, Form: contacts.ListForm{Errors: components.FormErrors{"name": "Taken."}}}),
		"lists-empty": contacts.Lists(member, contacts.ListsData{}),
		"bulk": contacts.Bulk(member, contacts.BulkData{Filter: filter, FilterWords: []string{"tagged vip"}, Count: 1204, Lists: lists, CanDelete: true,
			BackURL: paths.Contacts, TagErrors: components.FormErrors{"tags": "Type one."}, DelErrors: components.FormErrors{"confirm": "Type 1,204."}}),
		"bulk-none": contacts.Bulk(member, contacts.BulkData{BackURL: paths.Contacts}),
	}
	for name, c := range pages {
		t.Run(name, func(t *testing.T) {
			d, _ := render(t, c)
			checkShell(t, d)
			checkCSP(t, d)
			checkLabels(t, d)
			checkIDs(t, d)
			checkLinks(t, d)
			d.Find(`form[method="get"]`).Remove()
			checkForms(t, d)
		})
	}

	// What each page must say or offer.
	for name, want := range map[string][]string{
		"contact-new":    {"Not a valid number.", "Give every custom field a name.", `name="lists" value="7" checked`, "Nothing was saved"},
		"contact-show":   {`data-testid="contact-edit"`, "only they can opt back in", `data-testid="contact-delete-input"`, "Type Ann.", `<details class="confirm confirm--typed" data-testid="contact-delete" open`},
		"contacts":       {`href="` + paths.ContactNew + `"`, `data-testid="bulk-actions"`, `name="attr"`, `name="list"`},
		"contacts-empty": {"No contacts yet", "Add a contact by hand"},
		"list-empty":     {"No one on this list yet"},
		"lists-empty":    {"No lists yet", "Create your first list"},
		"bulk":           {"1,204 contacts", "will be affected", `name="tag" value="vip"`, `name="attr" value="city"`, `name="value" value="Leeds"`, "Type 1,204."},
		"bulk-none":      {"Nothing matches these filters"},
	} {
		_, html := render(t, pages[name])
		for _, w := range want {
			if !strings.Contains(html, w) {
				t.Errorf("%s lacks %q", name, w)
			}
		}
	}
	_, html := render(t, pages["bulk"])
	d, _ := goquery.NewDocumentFromReader(strings.NewReader(html))
	if d.Find(`[data-testid="bulk-delete-section"]`).Length() != 1 {
		t.Error("an admin's bulk page has no delete")
	}

	// Each fragment htmx swaps is its own target.
	data := contacts.ShowData{Contact: detail}
	bulk := contacts.BulkData{Count: 2, Lists: lists}
	for id, c := range map[string]templ.Component{
		"contact-form": contacts.ContactFormFragment(member, form),
		"consent-form": contacts.ConsentFormFragment(member, data),
		"list-form":    contacts.ListFormFragment(member, contacts.ListForm{ID: 7, Name: "Regulars"}),
		"bulk-tag":     contacts.BulkTagFragment(member, bulk),
		"bulk-list":    contacts.BulkListFragment(member, bulk),
	} {
		d, html := render(t, c)
		if strings.Contains(html, "<html") {
			t.Errorf("%s: fragment renders a whole page", id)
		}
		if got := d.Find("body > *").First().AttrOr("id", ""); got != id {
			t.Errorf("fragment root id %q, want %q", got, id)
		}
		if got := d.Find("form").AttrOr("hx-target", ""); got != "#"+id {
			t.Errorf("%s: hx-target %q", id, got)
		}
		checkForms(t, d)
	}
}
