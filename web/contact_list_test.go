package web_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"tidings/internal/contact"
	"tidings/web/paths"
	"tidings/web/webtest"
)

func TestContactListEmptyState(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Empty")
	c := e.Client()
	c.Login(owner)
	r := c.Get(paths.Contacts)
	if r.Status != http.StatusOK {
		t.Fatalf("contacts: status %d", r.Status)
	}
	for _, want := range []string{`data-testid="empty-state"`, "No contacts yet", `href="` + paths.ImportNew + `"`, "Import contacts"} {
		if !strings.Contains(r.Body, want) {
			t.Errorf("empty contacts page lacks %q", want)
		}
	}
	if !strings.Contains(r.Body, `href="`+paths.Contacts+`"`) {
		t.Error("the nav does not link to the contacts page")
	}
	// A member sees the page too.
	m := e.NewMember(owner, "member")
	mc := e.Client()
	mc.Login(m)
	if r = mc.Get(paths.Contacts); r.Status != http.StatusOK || !strings.Contains(r.Body, "No contacts yet") {
		t.Errorf("member: status %d", r.Status)
	}
}

func TestContactListPagesAndCounts(t *testing.T) {
	e := webtest.New(t)
	owner := e.NewOwner("Pager")
	var csv strings.Builder
	csv.WriteString("phone,name\n")
	for i := range 60 {
		fmt.Fprintf(&csv, "07911 12%04d,Person %02d\n", i, i)
	}
	ctx := context.Background()
	im, pv, err := e.Contacts.CreateImport(ctx, owner.OrgID, owner.UserID, "many.csv", strings.NewReader(csv.String()))
	if err != nil {
		t.Fatal(err)
	}
	st := contact.ImportSettings{Columns: pv.Guess, HasHeader: true, DefaultCountry: "GB", Mode: contact.ModeAddNew}
	if _, err := e.Contacts.ConfirmImport(ctx, owner.OrgID, owner.UserID, im.ID, st, nil); err != nil {
		t.Fatal(err)
	}
	e.RunImports()
	if got, err := e.Contacts.GetImport(ctx, owner.OrgID, im.ID); err != nil || got.Counts.Imported != 60 {
		t.Fatalf("fixture import: %+v %+v %q %v", got.Status, got.Counts, got.Error, err)
	}

	c := e.Client()
	c.Login(owner)
	r := c.Get(paths.Contacts)
	if n := strings.Count(r.Body, `data-testid="contact-row"`); n != 50 {
		t.Fatalf("first page: %d rows, want 50", n)
	}
	if !strings.Contains(r.Body, "Consent unknown") || !strings.Contains(r.Body, `<p class="card__figure">60</p>`) {
		t.Error("consent words or the count of all contacts are missing")
	}
	next := nextRE.FindStringSubmatch(r.Body)
	if next == nil {
		t.Fatal("no Next page link")
	}
	r = c.Get(html.UnescapeString(next[1]))
	if n := strings.Count(r.Body, `data-testid="contact-row"`); n != 10 || nextRE.MatchString(r.Body) || !strings.Contains(r.Body, `data-testid="first-page"`) {
		t.Errorf("second page: %d rows, want 10, no Next link and a First page link", n)
	}
}

var nextRE = regexp.MustCompile(`href="([^"]+)" data-testid="next-page"`)

func TestImportUploadTooLarge(t *testing.T) {
	e := webtest.New(t)
	req := httptest.NewRequest(http.MethodPost, paths.Imports, strings.NewReader("x"))
	req.ContentLength = e.Contacts.MaxUploadBytes() + 2<<20
	req.Header.Set("Content-Type", "multipart/form-data; boundary=x")
	rec := httptest.NewRecorder()
	e.Server.Handler().ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), "Split it into smaller files") {
		t.Fatalf("oversized upload: status %d", rec.Code)
	}
}
