package contact

import (
	"bytes"
	"encoding/csv"
	"errors"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"gorm.io/gorm"
)

func TestDeriveConsent(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(id int64, min int, kind, source string) ConsentEvent {
		return ConsentEvent{ID: id, Kind: kind, Source: source, At: t0.Add(time.Duration(min) * time.Minute)}
	}
	tests := []struct {
		name       string
		events     []ConsentEvent
		state      ConsentState
		restricted bool
	}{
		{"nothing", nil, ConsentUnknown, false},
		{"imported opt-in", []ConsentEvent{ev(1, 0, EventOptIn, SourceImport)}, ConsentOptedIn, false},
		{"opt-out after opt-in", []ConsentEvent{ev(1, 0, EventOptIn, SourceImport), ev(2, 1, EventOptOut, SourceContact)}, ConsentOptedOut, false},
		{"an import cannot undo an opt-out", []ConsentEvent{ev(1, 0, EventOptOut, SourceContact), ev(2, 1, EventOptIn, SourceImport)}, ConsentOptedOut, false},
		{"nor can a team member", []ConsentEvent{ev(1, 0, EventOptOut, SourceContact), ev(2, 1, EventOptIn, SourceManual)}, ConsentOptedOut, false},
		{"the person can", []ConsentEvent{ev(1, 0, EventOptOut, SourceContact), ev(2, 1, EventOptIn, SourceContact)}, ConsentOptedIn, false},
		{"opt-out wins a tie", []ConsentEvent{ev(2, 0, EventOptOut, SourceManual), ev(1, 0, EventOptIn, SourceContact)}, ConsentOptedOut, false},
		{"restricted", []ConsentEvent{ev(1, 0, EventOptIn, SourceImport), ev(2, 1, EventRestricted, SourcePrivacyRequest)}, ConsentOptedIn, true},
		{"restriction lifted", []ConsentEvent{ev(1, 0, EventRestricted, SourcePrivacyRequest), ev(2, 1, EventUnrestricted, SourceManual)}, ConsentUnknown, false},
		{"restricted wins a tie", []ConsentEvent{ev(1, 0, EventUnrestricted, SourceManual), ev(2, 0, EventRestricted, SourcePrivacyRequest)}, ConsentUnknown, true},
		{"out of order", []ConsentEvent{ev(5, 3, EventOptOut, SourceContact), ev(1, 1, EventOptIn, SourceImport)}, ConsentOptedOut, false},
	}
	for _, tc := range tests {
		s, r := DeriveConsent(tc.events)
		if s != tc.state || r != tc.restricted {
			t.Errorf("%s: got %s, %v; want %s, %v", tc.name, s, r, tc.state, tc.restricted)
		}
		c := Contact{ConsentState: s, Restricted: r}
		if c.Messageable() != (s == ConsentOptedIn && !r) {
			t.Errorf("%s: Messageable wrong", tc.name)
		}
	}
}

// TestDeriveConsentMatchesSQL holds the Go rule and the stored state (the
// SQL) together over random ledgers.
func TestDeriveConsentMatchesSQL(t *testing.T) {
	e := setup(t)
	rng := rand.New(rand.NewPCG(7, 7))
	kinds := []string{EventOptIn, EventOptOut, EventRestricted, EventUnrestricted}
	sources := []string{SourceImport, SourceManual, SourceContact, SourcePrivacyRequest}
	for i := range 150 {
		c, err := e.svc.Create(e.ctx, e.orgA, e.user, ContactInput{Phone: "+44791110" + string(rune('0'+i/100)) + string(rune('0'+i/10%10)) + string(rune('0'+i%10)) + "0"})
		if err != nil {
			t.Fatal(err)
		}
		var events []ConsentEvent
		for j := range rng.IntN(6) {
			in := ConsentInput{Kind: kinds[rng.IntN(4)], Source: sources[rng.IntN(4)], LawfulBasis: "consent", Evidence: "said so",
				At: time.Date(2026, 1, 1, 0, rng.IntN(4), 0, 0, time.UTC)}
			got, err := e.svc.RecordConsent(e.ctx, e.orgA, e.user, c.ID, in)
			if err != nil {
				t.Fatal(err)
			}
			events = append(events, ConsentEvent{ID: int64(j), Kind: in.Kind, Source: in.Source, At: in.At})
			ws, wr := DeriveConsent(events)
			if got.ConsentState != ws || got.Restricted != wr {
				t.Fatalf("contact %d after %v: stored %s/%v, rule says %s/%v", c.ID, events, got.ConsentState, got.Restricted, ws, wr)
			}
		}
	}
}

func TestContactStore(t *testing.T) {
	e := setup(t)
	if _, err := e.svc.Create(e.ctx, e.orgA, e.user, ContactInput{Phone: "0791 12"}); err == nil {
		t.Error("an invalid number was accepted")
	}
	ann, err := e.svc.Create(e.ctx, e.orgA, e.user, ContactInput{Phone: "07911 123456", Name: " Ann  Lee ", Email: "ANN@example.com",
		Tags: []string{"vip", " vip", "b"}, Attributes: map[string]string{"Shoe size": "38"},
		Consent: &ConsentInput{Kind: EventOptIn, LawfulBasis: "consent", Evidence: "Signed up at the till"}})
	if err != nil {
		t.Fatal(err)
	}
	if ann.PhoneE164 != "+447911123456" || ann.Name != "Ann Lee" || ann.Email != "ann@example.com" || !slices.Equal(ann.Tags, []string{"b", "vip"}) ||
		ann.Attributes["shoe_size"] != "38" || ann.ConsentState != ConsentOptedIn {
		t.Errorf("created %+v", ann)
	}
	var fe FieldErrors
	if _, err := e.svc.Create(e.ctx, e.orgA, e.user, ContactInput{Phone: "+447911123456"}); !errors.As(err, &fe) || fe["phone"] == "" {
		t.Errorf("duplicate number: %v", err)
	}
	l, err := e.svc.CreateList(e.ctx, e.orgA, e.user, "Regulars", "Come every week")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateList(e.ctx, e.orgA, e.user, "regulars", ""); !errors.As(err, &fe) {
		t.Errorf("duplicate list name: %v", err)
	}
	if err := e.svc.AddToList(e.ctx, e.orgA, e.user, l.ID, []int64{ann.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RecordConsent(e.ctx, e.orgA, e.user, ann.ID, ConsentInput{Kind: EventOptOut, Source: SourceContact}); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.Get(e.ctx, e.orgA, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.ConsentState != ConsentOptedOut || len(d.Timeline) != 2 || d.Timeline[0].Kind != EventOptIn || d.Timeline[1].Kind != EventOptOut ||
		len(d.Lists) != 1 || d.Lists[0].Name != "Regulars" {
		t.Errorf("detail %+v", d)
	}
	ann, err = e.svc.Update(e.ctx, e.orgA, e.user, ann.ID, ContactInput{Phone: "+44 7911 123457", Name: "Ann L", Tags: []string{"x"}})
	if err != nil || ann.PhoneE164 != "+447911123457" || ann.Name != "Ann L" {
		t.Errorf("update: %+v, %v", ann, err)
	}

	// 120 more contacts to page through and filter.
	for i := range 120 {
		in := ContactInput{Phone: "+447911200" + pad3(i), Name: "Person " + pad3(i), Email: "p" + pad3(i) + "@example.com"}
		if i%3 == 0 {
			in.Tags = []string{"third"}
		}
		if _, err := e.svc.Create(e.ctx, e.orgA, e.user, in); err != nil {
			t.Fatal(err)
		}
	}
	var all []Contact
	p := Page{Limit: 50}
	for {
		pg, err := e.svc.List(e.ctx, e.orgA, Filter{}, p)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, pg.Contacts...)
		if pg.Next == 0 {
			break
		}
		p.After = pg.Next
	}
	if len(all) != 121 || all[0].ID < all[120].ID {
		t.Errorf("paged %d contacts", len(all))
	}
	count := func(f Filter) int {
		pg, err := e.svc.List(e.ctx, e.orgA, f, Page{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		return len(pg.Contacts)
	}
	optedOut := true
	for name, c := range map[string]struct {
		f    Filter
		want int
	}{
		"phone prefix":   {Filter{Query: "+44 7911 20011"}, 10},
		"phone national": {Filter{Query: "07911 200 01"}, 10},
		"phone bare":     {Filter{Query: "4479112001"}, 20},
		"name":           {Filter{Query: "person 11"}, 10},
		"email":          {Filter{Query: "P005@EXAMPLE"}, 1},
		"tag":            {Filter{Tag: "third"}, 40},
		"list":           {Filter{ListID: l.ID}, 1},
		"consent":        {Filter{Consent: ConsentOptedOut}, 1},
		"restricted":     {Filter{Restricted: &optedOut}, 0},
		"tag and query":  {Filter{Tag: "third", Query: "Person 00"}, 4},
		"like escaping":  {Filter{Query: "%"}, 0},
	} {
		if got := count(c.f); got != c.want {
			t.Errorf("%s: %d contacts, want %d", name, got, c.want)
		}
	}
	if n, err := e.svc.BulkTag(e.ctx, e.orgA, e.user, Filter{Tag: "third"}, []string{"a", "third"}, true); err != nil || n != 40 {
		t.Errorf("bulk tag: %d, %v", n, err)
	}
	if n, err := e.svc.BulkTag(e.ctx, e.orgA, e.user, Filter{Query: "Person 00"}, []string{"third"}, false); err != nil || n != 4 {
		t.Errorf("bulk untag: %d, %v", n, err)
	}
	if got := count(Filter{Tag: "third"}); got != 36 {
		t.Errorf("after untag %d", got)
	}
	if n, err := e.svc.BulkAddToList(e.ctx, e.orgA, e.user, Filter{Tag: "a"}, l.ID); err != nil || n != 40 {
		t.Errorf("bulk add to list: %d, %v", n, err)
	}
	lists, err := e.svc.Lists(e.ctx, e.orgA)
	if err != nil || len(lists) != 1 || lists[0].Members != 41 {
		t.Errorf("lists %+v, %v", lists, err)
	}
	if n, err := e.svc.BulkDelete(e.ctx, e.orgA, e.user, Filter{Tag: "a"}); err != nil || n != 40 {
		t.Errorf("bulk delete: %d, %v", n, err)
	}
	if err := e.svc.Delete(e.ctx, e.orgA, e.user, ann.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Get(e.ctx, e.orgA, ann.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted contact: %v", err)
	}
	for _, table := range []string{"consent_events", "contact_consent_events", "contact_list_members"} {
		if n := e.count(e.orgA, `SELECT count(*) FROM `+table+` WHERE contact_id = ?`, ann.ID); n != 0 {
			t.Errorf("%d %s rows of a deleted contact", n, table)
		}
	}
	if err := e.svc.UpdateList(e.ctx, e.orgA, e.user, l.ID, "Weekly", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeleteList(e.ctx, e.orgA, e.user, l.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.count(e.orgA, `SELECT count(*) FROM contact_list_members`); n != 0 {
		t.Errorf("%d memberships of a deleted list", n)
	}
	// The audit log names ids and counts, never numbers or names.
	var details []string
	e.inOrg(e.orgA, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT action || ' ' || target || ' ' || detail::text FROM audit_log WHERE org_id = ?`, e.orgA).Scan(&details).Error
	})
	for _, d := range details {
		if strings.Contains(d, "7911") || strings.Contains(d, "Person") || strings.Contains(d, "Ann") {
			t.Errorf("personal data in the audit log: %s", d)
		}
	}
}

func pad3(i int) string {
	return string([]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10)})
}

func TestExportNeutralisesFormulas(t *testing.T) {
	e := setup(t)
	for _, in := range []ContactInput{
		{Phone: "+447911123456", Name: "=1+1", Email: "a@example.com", Attributes: map[string]string{"note": "@SUM(A1)"}, Tags: []string{"-x"}},
		{Phone: "+447911123457", Name: "-minus", Attributes: map[string]string{"note": "+cmd"}},
		{Phone: "+447911123458", Name: "Plain"},
	} {
		if _, err := e.svc.Create(e.ctx, e.orgA, e.user, in); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := e.svc.Create(e.ctx, e.orgA, e.user, ContactInput{Phone: "+447911123459", Name: "Restricted"})
	if _, err := e.svc.RecordConsent(e.ctx, e.orgA, e.user, c.ID, ConsentInput{Kind: EventRestricted, Source: SourcePrivacyRequest}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	n, err := e.svc.Export(e.ctx, e.orgA, e.user, Filter{}, &buf)
	if err != nil || n != 3 {
		t.Fatalf("export %d, %v", n, err)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		for _, cell := range r {
			if cell != "" && strings.ContainsRune("=+-@\t\r", rune(cell[0])) {
				t.Errorf("cell %q not neutralised", cell)
			}
			if strings.Contains(cell, "Restricted") {
				t.Error("a restricted contact was exported")
			}
		}
	}
	if !slices.Equal(recs[0], []string{"phone", "name", "email", "language", "tags", "lists", "consent", "created_at", "attr:note"}) {
		t.Errorf("header %v", recs[0])
	}
	if recs[3][0] != "'+447911123456" || recs[3][1] != "'=1+1" || recs[3][8] != "'@SUM(A1)" || recs[2][1] != "'-minus" {
		t.Errorf("rows %q", recs[1:])
	}
}

func TestRejectedCSV(t *testing.T) {
	e := setup(t)
	im := e.mustImport(e.orgA, csvOf("phone,name,email,tags,city", "07911 100001,Ann,,,", "12,=cmd,,,", "07911 100001,Dup,,,"),
		settingsFor(ModeAddNew, false), nil)
	var buf bytes.Buffer
	if err := e.svc.RejectedCSV(e.ctx, e.orgA, im.ID, &buf); err != nil {
		t.Fatal(err)
	}
	want := "line,reason,value,phone,name,email,tags,city\n" +
		"3,not a valid phone number for GB,12,12,'=cmd,,,\n" +
		"4,duplicate of line 2,'+447911100001,07911 100001,Dup,,,\n"
	if buf.String() != want {
		t.Errorf("rejected rows:\n%s\nwant:\n%s", buf.String(), want)
	}

	// The same for an org that has contacts already (the general merge).
	im = e.mustImport(e.orgA, csvOf("phone,name,email,tags,city", "07911 100002,Bo,,,", "+44 7911 100002,Bo again,,vip,Leeds"),
		settingsFor(ModeAddUpdate, false, UpdateName), nil)
	buf.Reset()
	if err := e.svc.RejectedCSV(e.ctx, e.orgA, im.ID, &buf); err != nil {
		t.Fatal(err)
	}
	want = "line,reason,value,phone,name,email,tags,city\n" +
		"3,duplicate of line 2,'+447911100002,'+44 7911 100002,Bo again,,vip,Leeds\n"
	if buf.String() != want {
		t.Errorf("rejected rows of a merge:\n%s\nwant:\n%s", buf.String(), want)
	}
}
