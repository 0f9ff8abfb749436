package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tidings/internal/contact"
	"tidings/web/browsertest"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// An owner manages contacts in a real browser: finds a contact by search,
// edits it (a bad e-mail first: htmx swaps the form back with the error
// and nothing is saved), tags everyone matching a search with a bulk
// action, creates a list and fills it from the same filter, exports the
// filter as CSV, and deletes a contact by typing its name (a wrong name
// first, refused). Pages are screenshotted on desktop and phone widths,
// and nothing goes to the console or violates the CSP.
func TestBrowserManageContacts(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Manager")
	ctx0 := context.Background()
	for _, in := range []contact.ContactInput{
		{Phone: "07911 123456", Name: "Ann Example", Email: "ann@mail.test", Tags: []string{"vip"}, Attributes: map[string]string{"city": "Leeds"}},
		{Phone: "07911 123457", Name: "Ben Example", Email: "ben@mail.test"},
		{Phone: "07911 123458", Name: "Cat Example"},
		{Phone: "07911 123459", Name: "Dan Other", Email: "dan@mail.test"},
	} {
		in.Country = "GB"
		in.Consent = &contact.ConsentInput{Kind: contact.EventOptIn, LawfulBasis: "consent", Evidence: "Signed up in the shop"}
		if _, err := e.Contacts.Create(ctx0, owner.OrgID, owner.UserID, in); err != nil {
			t.Fatal(err)
		}
	}
	tab := browsertest.New(t)
	ctx, cancel := context.WithTimeout(tab, 90*time.Second)
	defer cancel()
	b := &browser{t: t, e: e, ctx: ctx, tab: tab, console: browsertest.WatchConsole(t, tab)}
	// A form with errors answers 422 (swapped in by htmx): expected here.
	b.console.Ignore(`the server responded with a status of 422 .*\(/app/contacts/([0-9]+/(update|delete)|bulk/list)\)$`)

	b.do("log in", chromedp.Navigate(e.URL+paths.Login), chromedp.WaitVisible(tid("login-form")),
		chromedp.SendKeys(chromedp.ID("f-email"), owner.Email), chromedp.SendKeys(chromedp.ID("f-password"), owner.Password))
	b.submit("log in", `[data-testid="login-form"] form`, tid("login-submit"), chromedp.WaitVisible(tid("dashboard")))

	// Find Ann by searching for her name.
	b.do("open contacts", chromedp.Click(tid("nav-contacts")), chromedp.WaitVisible(tid("contacts-table")))
	if n := b.count(`[data-testid="contact-row"]`); n != 4 {
		t.Errorf("%d contacts listed, want 4", n)
	}
	b.do("search", chromedp.SendKeys(chromedp.ID("f-q"), "ann"), chromedp.Click(tid("contact-filter-submit")),
		chromedp.WaitVisible(tid("contact-filter-clear")))
	if n := b.count(`[data-testid="contact-row"]`); n != 1 {
		t.Fatalf("search for ann: %d rows, want 1", n)
	}
	b.page("contacts-search")
	b.do("open Ann", chromedp.Click(tid("contact-link")), chromedp.WaitVisible(tid("contact-details")))
	if got := b.text("name", tid("contact-name")); got != "Ann Example" {
		t.Errorf("contact page name %q", got)
	}
	b.page("contact")
	browsertest.ScreenshotMobile(t, ctx, "contact-mobile")

	// Edit: a bad e-mail comes back next to the field, then a good edit.
	b.do("edit", chromedp.Click(tid("contact-edit")), chromedp.WaitVisible(tid("contact-form")))
	b.do("bad e-mail", chromedp.SetValue(chromedp.ID("f-email"), "ann@"), chromedp.Click(tid("contact-save")),
		chromedp.WaitVisible(chromedp.CSS(`#contact-form [data-testid="field-email"] [data-testid="field-error"]`)))
	if got := b.text("e-mail error", chromedp.CSS(`[data-testid="field-email"] [data-testid="field-error"]`)); got != "This is not a valid e-mail address." {
		t.Errorf("e-mail error %q", got)
	}
	if n := b.count(`#contact-form`); n != 1 {
		t.Errorf("%d contact forms after the htmx swap, want 1", n)
	}
	if d, _ := e.Contacts.List(ctx0, owner.OrgID, contact.Filter{Query: "ann@"}, contact.Page{}); len(d.Contacts) != 1 || d.Contacts[0].Email != "ann@mail.test" {
		t.Error("the bad e-mail was saved")
	}
	b.page("contact-edit-error")
	browsertest.ScreenshotMobile(t, ctx, "contact-edit-error-mobile")
	b.do("good edit",
		chromedp.SetValue(chromedp.ID("f-email"), "ann.edited@mail.test"),
		chromedp.SetValue(chromedp.ID("f-name"), "Ann Edited"),
		chromedp.SetValue(chromedp.ID("f-attr-key-1"), "Shoe size"),
		chromedp.SetValue(chromedp.ID("f-attr-value-1"), "38"),
		chromedp.Click(tid("contact-save")),
		chromedp.WaitVisible(tid("contact-details")))
	if got := b.text("flash", tid("flashes")); !strings.Contains(got, "Changes saved.") {
		t.Errorf("flash after edit %q", got)
	}
	if got := b.text("details", tid("contact-details")); !strings.Contains(got, "Ann Edited") || !strings.Contains(got, "ann.edited@mail.test") ||
		!strings.Contains(got, "shoe_size 38") || !strings.Contains(got, "city Leeds") {
		t.Errorf("details after edit %q", got)
	}
	b.page("contact-edited")

	// Bulk: tag everyone whose name says Example.
	b.do("search Example", chromedp.Navigate(e.URL+paths.Contacts), chromedp.WaitVisible(tid("contact-filter")),
		chromedp.SendKeys(chromedp.ID("f-q"), "Example"), chromedp.Click(tid("contact-filter-submit")),
		chromedp.WaitVisible(tid("contact-filter-clear")))
	if n := b.count(`[data-testid="contact-row"]`); n != 2 {
		t.Errorf("search Example: %d rows, want 2 (Ann is now Ann Edited)", n)
	}
	b.do("bulk actions", chromedp.Click(tid("bulk-actions")), chromedp.WaitVisible(tid("bulk-count")))
	if got := b.text("bulk count", tid("bulk-count")); got != "2 contacts" {
		t.Errorf("bulk count %q, want 2 contacts", got)
	}
	b.page("bulk")
	browsertest.ScreenshotMobile(t, ctx, "bulk-mobile")
	b.do("tag", chromedp.SendKeys(chromedp.ID("f-tags"), "spring"), chromedp.Click(tid("bulk-tag-add")),
		chromedp.WaitVisible(tid("contacts-table")))
	b.at("back on the filtered list", paths.Contacts, map[string][]string{"q": {"Example"}})
	if got := b.text("flash", tid("flashes")); !strings.Contains(got, "Tagged 2 contacts.") {
		t.Errorf("flash after bulk tag %q", got)
	}
	if n := b.count(`[data-testid="contact-row"] td[data-label="Tags"]`); n != 2 || !strings.Contains(b.text("tags", tid("contacts-table")), "spring") {
		t.Error("the tagged contacts do not show the tag")
	}
	// Remove goes the other way (the clicked button's value travels with htmx).
	b.do("bulk actions again", chromedp.Click(tid("bulk-actions")), chromedp.WaitVisible(tid("bulk-count")),
		chromedp.SendKeys(chromedp.ID("f-tags"), "vip"), chromedp.Click(tid("bulk-tag-remove")),
		chromedp.WaitVisible(tid("contacts-table")))
	if got := b.text("flash", tid("flashes")); !strings.Contains(got, "Removed the tags from 0 contacts.") {
		t.Errorf("flash after bulk untag %q (Ann, the VIP, no longer matches Example)", got)
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{Tag: "vip"}); n != 1 {
		t.Errorf("%d VIPs, want 1 (the untag was outside the filter)", n)
	}
	b.page("contacts-tagged")

	// A list: none yet, create one, fill it from the tag.
	b.do("lists", chromedp.Click(tid("nav-lists")), chromedp.WaitVisible(tid("list-form")))
	if got := b.text("empty lists", tid("empty-state")); !strings.Contains(got, "No lists yet") {
		t.Errorf("lists empty state %q", got)
	}
	b.page("lists-empty")
	b.do("create list", chromedp.SendKeys(chromedp.ID("f-name"), "Spring customers"),
		chromedp.SendKeys(chromedp.ID("f-description"), "People for the spring offer"),
		chromedp.Click(tid("list-save")), chromedp.WaitVisible(tid("list-count")))
	if got := b.text("list empty", tid("empty-state")); !strings.Contains(got, "No one on this list yet") {
		t.Errorf("new list's empty state %q", got)
	}
	b.page("list-new")
	b.do("filter by tag", chromedp.Navigate(e.URL+paths.Contacts+"?tag=spring"), chromedp.WaitVisible(tid("bulk-actions")),
		chromedp.Click(tid("bulk-actions")), chromedp.WaitVisible(tid("bulk-list-add")))
	b.do("add to list", chromedp.SetValue(chromedp.ID("f-list_id"), ""), chromedp.Click(tid("bulk-list-add")),
		chromedp.WaitVisible(chromedp.CSS(`#bulk-list [data-testid="field-error"]`)))
	if got := b.text("no list chosen", chromedp.CSS(`#bulk-list [data-testid="field-error"]`)); got != "Choose a list." {
		t.Errorf("no list chosen: %q", got)
	}
	b.do("choose the list", chromedp.Evaluate[chromedp.Void](`document.getElementById('f-list_id').selectedIndex = 1`),
		chromedp.Click(tid("bulk-list-add")), chromedp.WaitVisible(tid("contacts-table")))
	if got := b.text("flash", tid("flashes")); !strings.Contains(got, "Added 2 contacts to the list") {
		t.Errorf("flash after bulk add to list %q", got)
	}
	b.do("the list", chromedp.Click(tid("nav-lists")), chromedp.WaitVisible(tid("lists-table")))
	if got := b.text("members", tid("list-members")); got != "2" {
		t.Errorf("the list counts %q members, want 2", got)
	}
	b.page("lists")
	browsertest.ScreenshotMobile(t, ctx, "lists-mobile")
	b.do("open the list", chromedp.Click(tid("list-link")), chromedp.WaitVisible(tid("contacts-table")))
	if n := b.count(`[data-testid="contact-row"]`); n != 2 {
		t.Errorf("the list page shows %d contacts, want 2", n)
	}
	b.page("list")

	// Export the tag filter as CSV, as the link would.
	b.do("filter by tag again", chromedp.Navigate(e.URL+paths.Contacts+"?tag=spring"), chromedp.WaitVisible(tid("contact-export")))
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(tid("contact-export"), "href"))
	if err != nil {
		b.fail("export link", err)
	}
	if href.Value != paths.ContactsExport+"?tag=spring" {
		t.Errorf("export link %q", href.Value)
	}
	csv, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch(`+jsString(href.Value)+`).then(r => r.ok ? r.text() : Promise.reject(new Error("status " + r.status)))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("download the export", err)
	}
	if lines := strings.Split(strings.TrimSpace(csv), "\n"); len(lines) != 3 || !strings.Contains(csv, "Ben Example") ||
		!strings.Contains(csv, "Cat Example") || strings.Contains(csv, "Dan Other") || strings.Contains(csv, "Ann") {
		t.Errorf("export of tag spring:\n%s", csv)
	}
	b.page("contacts-spring")
	browsertest.ScreenshotMobile(t, ctx, "contacts-spring-mobile")

	// Delete Cat: the name must be typed; a wrong one is refused.
	b.do("open Cat", chromedp.Navigate(e.URL+paths.Contacts+"?q=Cat"), chromedp.WaitVisible(tid("contact-link")),
		chromedp.Click(tid("contact-link")), chromedp.WaitVisible(tid("contact-details")))
	b.do("ask to delete", chromedp.Click(chromedp.CSS(`[data-testid="contact-delete"] > summary`)), chromedp.WaitVisible(tid("contact-delete-input")),
		chromedp.SendKeys(tid("contact-delete-input"), "Cat"))
	b.page("contact-delete-ask")
	b.do("wrong name", chromedp.Click(tid("contact-delete-yes")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="contact-delete"] [data-testid="field-error"]`)))
	if n := countContacts(t, e, owner.OrgID, contact.Filter{Query: "Cat Example"}); n != 1 {
		t.Fatal("a wrong confirmation deleted the contact")
	}
	b.page("contact-delete-refused")
	b.do("right name", chromedp.SendKeys(tid("contact-delete-input"), "Cat Example"), chromedp.Click(tid("contact-delete-yes")),
		chromedp.WaitVisible(tid("contacts-table")))
	if got := b.text("flash", tid("flashes")); !strings.Contains(got, "Contact deleted.") {
		t.Errorf("flash after delete %q", got)
	}
	if n := countContacts(t, e, owner.OrgID, contact.Filter{}); n != 3 {
		t.Errorf("%d contacts after the delete, want 3", n)
	}
	b.page("contacts-after-delete")
}
