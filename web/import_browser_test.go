package web_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tidings/internal/contact"
	"tidings/web/browsertest"
	"tidings/web/paths"
	"tidings/web/webtest"
)

// byName selects a form control by its name (the import form's names hold
// dots, which an #id selector would read as classes).
func byName(name string) chromedp.CSS { return chromedp.CSS(`[name="` + name + `"]`) }

// formulaName is a cell a spreadsheet would run as a command; the app must
// show it as text.
const formulaName = `=cmd|' /C calc'!A0`

// A semicolon-separated export from a UK shop: three numbers written three
// ways, a number too short to be one, the first number again, and a name
// that is a spreadsheet formula.
const browserImportCSV = "Phone;Name;E-mail\n" +
	"07911 123456;Ann Example;ann@example.com\n" +
	"+44 7911 123457;Ben Example;\n" +
	"0044 7911 123458;Cat Example;cat@example.com\n" +
	"12345;Bad Number;\n" +
	"07911123456;Ann Again;\n" +
	"07911 123459;" + formulaName + ";\n"

// An owner imports contacts in a real browser: from the empty contacts
// page to the import page, uploads a CSV, checks the guessed columns, says
// how the people agreed, starts the import, watches the progress page
// (htmx polling) turn to the result, and finds the contacts in the list,
// opted in, with the formula-like name shown as plain text. Every page is
// screenshotted, and nothing goes to the console or violates the CSP.
func TestBrowserImportContacts(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Uploader")
	csvPath := filepath.Join(t.TempDir(), "shop-customers.csv")
	if err := os.WriteFile(csvPath, []byte(browserImportCSV), 0o600); err != nil {
		t.Fatal(err)
	}
	tab := browsertest.New(t)
	ctx, cancel := context.WithTimeout(tab, 60*time.Second)
	defer cancel()
	b := &browser{t: t, e: e, ctx: ctx, tab: tab, console: browsertest.WatchConsole(t, tab)}

	b.do("log in", chromedp.Navigate(e.URL+paths.Login), chromedp.WaitVisible(tid("login-form")),
		chromedp.SendKeys(chromedp.ID("f-email"), owner.Email), chromedp.SendKeys(chromedp.ID("f-password"), owner.Password))
	b.submit("log in", `[data-testid="login-form"] form`, tid("login-submit"), chromedp.WaitVisible(tid("dashboard")))

	// Contacts from the nav: none yet, and the way to import some.
	b.do("open contacts", chromedp.Click(tid("nav-contacts")), chromedp.WaitVisible(tid("empty-state")))
	b.at("contacts page", paths.Contacts, nil)
	if got := b.text("empty state", tid("empty-state")); !strings.Contains(got, "No contacts yet") {
		t.Errorf("empty state = %q", got)
	}
	if got := b.text("empty state action", tid("empty-state-action")); got != "Import contacts" {
		t.Errorf("empty state action = %q, want Import contacts", got)
	}
	b.page("contacts-empty")

	b.do("open the import page", chromedp.Click(tid("empty-state-action")), chromedp.WaitVisible(tid("import-upload")))
	b.at("import page", paths.ImportNew, nil)
	if n := b.count(`[data-testid="no-imports"]`); n != 1 {
		t.Error("the import page of a new org does not say there are no imports yet")
	}
	b.page("import-new")

	// Upload: to the mapping step.
	b.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("f-file"), []string{csvPath}))
	b.submit("upload", `[data-testid="import-upload"]`, tid("import-upload-submit"), chromedp.WaitVisible(tid("import-mapping")))
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		b.fail("mapping page location", err)
	}
	m := importIDRE.FindStringSubmatch(strings.TrimPrefix(loc, e.URL))
	if m == nil {
		t.Fatalf("mapping page at %s, want %s", loc, paths.Import(0))
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	if got := b.text("mapping title", chromedp.CSS("main h1")); !strings.Contains(got, "shop-customers.csv") {
		t.Errorf("mapping page title = %q, want the file name", got)
	}
	if got := b.text("sniffed format", tid("import-sniffed")); !strings.Contains(strings.ToLower(got), "semicolon") {
		t.Errorf("the mapping page says the file was read as %q, want semicolons", got)
	}
	if n := b.count(`[data-testid="no-phone-guess"], [data-testid="columns-error"]`); n != 0 {
		t.Error("the mapping page says no phone column was found")
	}
	for col, want := range map[string]string{"columns.0": contact.ColPhone, "columns.1": contact.ColName, "columns.2": contact.ColEmail} {
		if got, err := chromedp.Run(ctx, chromedp.Value(byName(col))); err != nil || got != want {
			t.Errorf("%s guessed as %q (%v), want %q", col, got, err, want)
		}
	}
	preview := b.text("preview", tid("import-preview"))
	for _, want := range []string{"Ann Example", "Bad Number", formulaName} {
		if !strings.Contains(preview, want) {
			t.Errorf("the preview lacks %q: %q", want, preview)
		}
	}
	b.page("import-mapping")

	// Country, mode and consent.
	b.do("choose country and mode",
		chromedp.SetValue(byName("default_country"), "GB"),
		chromedp.SetValue(byName("mode"), contact.ModeAddNew))
	b.tick("tick opted in", "f-opted_in")
	b.do("say how they agreed",
		chromedp.SendKeys(byName("attestation.method"), "sign-up form on our website"),
		chromedp.SendKeys(byName("attestation.collected_on"), "at checkout since March 2023"),
		chromedp.SetValue(byName("attestation.lawful_basis"), "consent"),
		chromedp.SendKeys(byName("attestation.wording"), "Yes, send me offers on WhatsApp. Reply STOP to opt out."))
	for name, want := range map[string]string{"default_country": "GB", "mode": contact.ModeAddNew, "attestation.lawful_basis": "consent"} {
		if got, err := chromedp.Run(ctx, chromedp.Value(byName(name))); err != nil || got != want {
			t.Errorf("%s = %q (%v), want %q", name, got, err, want)
		}
	}
	b.page("import-mapping-filled")

	// Start: the progress page, queued and polling (no worker runs here).
	b.submit("start the import", `[data-testid="import-mapping"]`, tid("import-confirm"), chromedp.WaitVisible(tid("import-progress")))
	b.at("progress page", paths.Import(id), nil)
	if st, err := chromedp.Run(ctx, chromedp.AttributeValue(tid("import-progress"), "data-status")); err != nil || st.Value != contact.StatusQueued {
		t.Errorf("progress page status %q (%v), want %s", st.Value, err, contact.StatusQueued)
	}
	if n := b.count(`[data-testid="import-progress"][hx-trigger="every 1s"]`); n != 1 {
		t.Error("the progress of a queued import does not poll")
	}
	if n := b.count(`[data-testid="import-cancel"]`); n != 1 {
		t.Error("a queued import has no Cancel button")
	}
	b.page("import-queued")

	// The worker's turn; the page's polling brings the result.
	e.RunImports()
	b.do("wait for the result", chromedp.WaitVisible(chromedp.CSS(`[data-testid="import-progress"][data-status="finished"]`)))
	want := map[string]string{"read": "6", "imported": "4", "updated": "0", "skipped": "0", "duplicate": "1", "rejected": "1"}
	for k, v := range want {
		if got := b.text("count "+k, tid("count-"+k)); got != v {
			t.Errorf("count %s shown as %q, want %s", k, got, v)
		}
	}
	if n := b.count(`[data-testid="import-progress"][hx-trigger], [data-testid="import-cancel"]`); n != 0 {
		t.Error("the finished import still polls or offers Cancel")
	}
	if n := b.count(`[data-testid="import-progress"]`); n != 1 {
		t.Errorf("%d progress sections after the swap, want 1", n)
	}
	href, err := chromedp.Run(ctx, chromedp.AttributeValue(tid("import-rejected"), "href"))
	if err != nil {
		b.fail("rejected-rows link", err)
	}
	if href.Value != paths.ImportRejected(id) {
		t.Errorf("rejected-rows link to %q, want %q", href.Value, paths.ImportRejected(id))
	}
	// The link downloads; fetch it the way the page would, with its cookie.
	rejected, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`fetch(`+jsString(href.Value)+`).then(r => r.ok ? r.text() : Promise.reject(new Error("status " + r.status)))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail("download the rejected rows", err)
	}
	for _, w := range []string{"5,not a valid phone number", "Bad Number", "6,duplicate of line 2"} {
		if !strings.Contains(rejected, w) {
			t.Errorf("the rejected rows lack %q:\n%s", w, rejected)
		}
	}
	b.page("import-finished")

	// The list: four contacts, opted in, the formula a plain name.
	b.do("see contacts", chromedp.Click(chromedp.CSS(`[data-testid="import-progress"] a[href="`+paths.Contacts+`"]`)),
		chromedp.WaitVisible(tid("contacts-table")))
	b.at("contacts list", paths.Contacts, nil)
	if n := b.count(`[data-testid="contact-row"]`); n != 4 {
		t.Errorf("%d contacts listed, want 4", n)
	}
	table := b.text("contacts table", tid("contacts-table"))
	for _, w := range []string{"Ann Example", "Ben Example", "Cat Example", "ann@example.com", "cat@example.com",
		"+447911123456", "+447911123457", "+447911123458", "+447911123459"} {
		if !strings.Contains(table, w) {
			t.Errorf("the contacts list lacks %q", w)
		}
	}
	if strings.Contains(table, "Ann Again") || strings.Contains(table, "Bad Number") {
		t.Error("the duplicate or the rejected row became a contact")
	}
	if n := b.count(`[data-testid="contact-row"] td[data-label="Consent"] [data-testid="badge"]`); n != 4 {
		t.Errorf("%d consent badges, want 4", n)
	}
	badges, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		'[data-testid="contact-row"] td[data-label="Consent"] [data-testid="badge"]')).map(el => el.textContent.trim())`))
	if err != nil {
		b.fail("consent badges", err)
	}
	for _, s := range badges {
		if s != "Opted in" {
			t.Errorf("consent badge %q, want Opted in", s)
		}
	}
	// The formula is a name cell's whole text, one text node of it: shown,
	// not turned into markup.
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`Array.from(document.querySelectorAll(
		'[data-testid="contact-row"] td[data-label="Name"]')).map(td => td.textContent.trim())`))
	if err != nil {
		b.fail("names", err)
	}
	if !slices.Contains(names, formulaName) || len(names) != 4 {
		t.Errorf("names listed %q, want 4 with %q among them", names, formulaName)
	}
	texts, err := chromedp.Run(ctx, chromedp.Evaluate[int](`(() => {
		const w = document.createTreeWalker(document.querySelector('[data-testid="contacts-table"]'), NodeFilter.SHOW_TEXT);
		let n = 0;
		while (w.nextNode()) if (w.currentNode.nodeValue.trim() === `+jsString(formulaName)+`) n++;
		return n;
	})()`))
	if err != nil {
		b.fail("formula text node", err)
	}
	if texts != 1 {
		t.Errorf("%d text nodes hold the formula-like name, want 1", texts)
	}
	if got := b.text("consent counts", tid("consent-counts")); !strings.Contains(got, "All 4") || !strings.Contains(got, "Opted in 4") {
		t.Errorf("consent counts = %q", got)
	}
	b.page("contacts-list")
	browsertest.ScreenshotMobile(t, ctx, "contacts-list-mobile")
	b.console.Check(t, "contacts list (mobile)")

	// A contact's page: its timeline holds the import's attested opt-in
	// (one ledger row for the whole import, shown as the contact's own).
	b.do("open a contact", chromedp.Click(chromedp.CSS(`[data-testid="contact-row"] a[data-testid="contact-link"]`)),
		chromedp.WaitVisible(tid("consent-timeline")))
	timeline := b.text("consent timeline", tid("consent-timeline"))
	for _, w := range []string{"Opted in", "Import", "Consent", "sign-up form on our website (at checkout since March 2023)"} {
		if !strings.Contains(timeline, w) {
			t.Errorf("the imported contact's timeline lacks %q:\n%s", w, timeline)
		}
	}
	b.page("imported-contact")

	// The import page lists the finished import.
	b.do("imports list", chromedp.Navigate(e.URL+paths.ImportNew), chromedp.WaitVisible(tid("imports-table")))
	if got := b.text("imports list", tid("imports-table")); !strings.Contains(got, "shop-customers.csv") || !strings.Contains(got, "Finished") {
		t.Errorf("imports list = %q", got)
	}
	b.page("imports-list")
}
