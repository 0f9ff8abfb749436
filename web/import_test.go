package web_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"tidings/web/paths"
	"tidings/web/webtest"
)

var (
	pageCSRFRE = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)
	importIDRE = regexp.MustCompile(`/app/contacts/imports/(\d+)$`)
)

// upload posts a CSV file from the import page as a browser would
// (multipart, with the page's CSRF token).
func upload(t *testing.T, c *webtest.Client, e *webtest.Env, name, data string) *webtest.Response {
	t.Helper()
	page := c.Get(paths.ImportNew)
	m := pageCSRFRE.FindStringSubmatch(page.Body)
	if m == nil {
		t.Fatalf("no CSRF token on the import page (status %d)", page.Status)
	}
	var body bytes.Buffer
	w := multipart.NewWriter(&body)
	_ = w.WriteField("_csrf", m[1])
	fw, _ := w.CreateFormFile("file", name)
	_, _ = fw.Write([]byte(data))
	_ = w.Close()
	req, _ := http.NewRequest(http.MethodPost, e.URL+paths.Imports, &body)
	req.Header.Set("Content-Type", w.FormDataContentType())
	return c.Do(req)
}

// selectOf returns the markup of the <select> named name.
func selectOf(body, name string) string {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return ""
	}
	j := strings.Index(body[i:], "</select>")
	if j < 0 {
		return ""
	}
	return body[i : i+j]
}

const importCSV = "Phone,Name,Email\n" +
	"07911 123001,Ann Example,ann@example.com\n" +
	"07911 123002,Ben Example,ben@example.com\n" +
	"+44 7911 123003,Cat Example,\n" +
	"12,Bad Number,\n" +
	"07911123001,Ann Again,\n"

func TestImportUploadMapConfirmRunAndResult(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Importer")
	c := e.Client()
	c.Login(owner)

	// Upload: to the mapping step, with the phone column guessed.
	r := upload(t, c, e, "customers.csv", importCSV)
	loc := r.Header.Get("Location")
	m := importIDRE.FindStringSubmatch(loc)
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("upload: status %d, location %q: %s", r.Status, loc, r.Body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	r = c.Get(loc)
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-testid="import-mapping"`) {
		t.Fatalf("mapping page: status %d", r.Status)
	}
	if s := selectOf(r.Body, "columns.0"); !strings.Contains(s, `value="phone" selected`) {
		t.Errorf("column 1 is not guessed as the phone column: %s", s)
	}
	if s := selectOf(r.Body, "columns.2"); !strings.Contains(s, `value="email" selected`) {
		t.Errorf("column 3 is not guessed as e-mail: %s", s)
	}
	for _, want := range []string{"Ann Example", "Bad Number", "customers.csv"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("mapping page lacks %q", want)
		}
	}

	form := url.Values{"columns.0": {"phone"}, "columns.1": {"name"}, "columns.2": {"email"}, "has_header": {"true"},
		"default_country": {"GB"}, "mode": {"add_new"}, "opted_in": {"on"}}
	// Opted in without saying how: the fields say what is missing.
	r = c.Post(paths.ImportConfirm(id), form)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Say how these people agreed") ||
		!strings.Contains(r.Body, "Paste the words people saw") {
		t.Fatalf("confirm without attestation: status %d", r.Status)
	}
	form.Set("attestation.method", "sign-up form on our website")
	form.Set("attestation.collected_on", "2024 to 2025")
	form.Set("attestation.lawful_basis", "consent")
	form.Set("attestation.wording", "Yes, send me offers on WhatsApp. Reply STOP to opt out.")
	r = c.Post(paths.ImportConfirm(id), form)
	if r.Status != http.StatusSeeOther || r.Header.Get("Location") != paths.Import(id) {
		t.Fatalf("confirm: status %d, location %q: %s", r.Status, r.Header.Get("Location"), r.Body)
	}

	// Queued: the fragment polls.
	hx := func() *webtest.Response {
		req, _ := http.NewRequest(http.MethodGet, e.URL+paths.ImportStatus(id), nil)
		req.Header.Set("HX-Request", "true")
		return c.Do(req)
	}
	if r = hx(); r.Status != http.StatusOK || !strings.Contains(r.Body, `hx-trigger="every 1s"`) || strings.Contains(r.Body, "<html") {
		t.Fatalf("status fragment while queued: status %d: %s", r.Status, r.Body)
	}
	if r = c.Get(paths.Import(id)); !strings.Contains(r.Body, `data-testid="import-cancel"`) {
		t.Error("a queued import has no Cancel button")
	}

	e.RunImports()

	r = c.Get(paths.Import(id))
	if r.Status != http.StatusOK || !strings.Contains(r.Body, `data-status="finished"`) {
		t.Fatalf("progress page after the run: status %d", r.Status)
	}
	for k, want := range map[string]string{"read": "5", "imported": "3", "duplicate": "1", "rejected": "1", "updated": "0"} {
		if !strings.Contains(r.Body, `data-testid="count-`+k+`">`+want+`<`) {
			t.Errorf("count %s is not %s", k, want)
		}
	}
	if strings.Contains(r.Body, `hx-trigger`) || strings.Contains(r.Body, `data-testid="import-cancel"`) {
		t.Error("a finished import still polls or offers Cancel")
	}
	if !strings.Contains(r.Body, paths.ImportRejected(id)) {
		t.Error("no rejected-rows download on the result")
	}
	if r = hx(); strings.Contains(r.Body, `hx-trigger`) {
		t.Error("the finished fragment keeps polling")
	}

	r = c.Get(paths.ImportRejected(id))
	if r.Status != http.StatusOK || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment") ||
		!strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("rejected rows: status %d, headers %v", r.Status, r.Header)
	}
	if !strings.Contains(r.Body, "not a valid phone number") || !strings.Contains(r.Body, "Bad Number") {
		t.Errorf("rejected rows lack the invalid row's reason:\n%s", r.Body)
	}

	// The contacts page lists them, with consent in words.
	r = c.Get(paths.Contacts)
	if r.Status != http.StatusOK {
		t.Fatalf("contacts: status %d", r.Status)
	}
	for _, want := range []string{"Ann Example", "+447911123001", "ann@example.com", "Cat Example", "Opted in"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("contacts page lacks %q", want)
		}
	}
	if strings.Contains(r.Body, "Ann Again") || strings.Contains(r.Body, "Bad Number") {
		t.Error("the duplicate or the rejected row became a contact")
	}
	if r = c.Get(paths.Contacts + "?q=ben"); !strings.Contains(r.Body, "Ben Example") || strings.Contains(r.Body, "Ann Example") {
		t.Error("search by name does not narrow the list")
	}
	if r = c.Get(paths.Contacts + "?consent=opted_out"); !strings.Contains(r.Body, `data-testid="no-match"`) {
		t.Error("the opted-out filter shows contacts")
	}
	// The import page lists the import.
	if r = c.Get(paths.ImportNew); !strings.Contains(r.Body, "customers.csv") || !strings.Contains(r.Body, "Finished") {
		t.Error("the import page does not list the finished import")
	}
}

func TestImportMemberMayNotUpload(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Boss")
	member := e.NewMember(owner, "member")
	c := e.Client()
	c.Login(member)
	r := c.Get(paths.ImportNew)
	if r.Status != http.StatusOK || strings.Contains(r.Body, `data-testid="import-upload"`) {
		t.Fatalf("member's import page: status %d, or it shows the upload form", r.Status)
	}
	if r = upload(t, c, e, "x.csv", importCSV); r.Status != http.StatusForbidden {
		t.Fatalf("member upload: status %d, want 403", r.Status)
	}
	if list, err := e.Contacts.Imports(context.Background(), owner.OrgID, 10); err != nil || len(list) != 0 {
		t.Fatalf("imports after a refused upload: %v %v", list, err)
	}
}

func TestImportWithoutPhoneColumnIsRefused(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Nophone")
	c := e.Client()
	c.Login(owner)
	// A file in which no column could hold phone numbers (no such header,
	// no number in the first rows) is refused at upload, and not kept.
	r := upload(t, c, e, "cities.csv", "Name,City\nAnn,Leeds\nBen,York\n")
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "no column of phone numbers") {
		t.Fatalf("upload without a phone column: status %d", r.Status)
	}
	if ims, _ := e.Contacts.Imports(context.Background(), owner.OrgID, 10); len(ims) != 0 {
		t.Fatalf("the refused upload made an import: %+v", ims)
	}
	// A column that may hold numbers under an unknown header is kept for
	// the mapping step, which says no phone column was guessed (the user
	// may choose it).
	r = upload(t, c, e, "refs.csv", "Name,Ref\nAnn,ref 123456\nBen,ref 654321\n")
	m := importIDRE.FindStringSubmatch(r.Header.Get("Location"))
	if r.Status != http.StatusSeeOther || m == nil {
		t.Fatalf("upload: status %d", r.Status)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	if r = c.Get(paths.Import(id)); !strings.Contains(r.Body, `data-testid="no-phone-guess"`) {
		t.Error("the mapping page does not say that no phone column was found")
	}
	// Confirming without a phone column: 422 with a clear message, and
	// nothing is queued or created.
	r = c.Post(paths.ImportConfirm(id), url.Values{"columns.0": {"name"}, "columns.1": {"ignore"}, "has_header": {"true"},
		"default_country": {"GB"}, "mode": {"add_new"}})
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose the column that holds the phone numbers.") {
		t.Fatalf("confirm without a phone column: status %d", r.Status)
	}
	e.RunImports()
	im, err := e.Contacts.GetImport(context.Background(), owner.OrgID, id)
	if err != nil || im.Status != "uploaded" {
		t.Fatalf("import after the refusal: %+v %v", im.Status, err)
	}
	if r = c.Get(paths.Contacts); !strings.Contains(r.Body, "No contacts yet") {
		t.Error("contacts were created")
	}
	// No file at all: 422 next to the file field, and no import.
	before, _ := e.Contacts.Imports(context.Background(), owner.OrgID, 10)
	if r = c.Post(paths.Imports, url.Values{}); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, "Choose a CSV file") {
		t.Errorf("no file: status %d", r.Status)
	}
	if after, _ := e.Contacts.Imports(context.Background(), owner.OrgID, 10); len(after) != len(before) {
		t.Error("a post without a file made an import")
	}
	// An empty file is a file problem: 422 at the top of the form.
	if r = upload(t, c, e, "empty.csv", ""); r.Status != http.StatusUnprocessableEntity || !strings.Contains(r.Body, `data-testid="form-error"`) {
		t.Errorf("empty file: status %d", r.Status)
	}
}
