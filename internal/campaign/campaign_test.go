package campaign

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"testing"
	"time"

	"gorm.io/gorm"

	"tidings/internal/contact"
	"tidings/internal/whatsapp"
)

// seeded is org A with a contact for every skip reason (and org B's
// look-alikes, which must never count).
type seeded struct {
	l1, l2   int64
	eligible []int64
	want     map[SkipReason]int64
}

func (e *env) seed() seeded {
	e.t.Helper()
	var s seeded
	now := e.clock.Now()
	var inL1, excluded []int64
	add := func(n int, prefix, consent string, restricted bool, after func(id int64, phone string)) []int64 {
		var ids []int64
		for i := range n {
			phone := fmt.Sprintf("%s%03d", prefix, i)
			id := e.contact(e.orgA, phone, fmt.Sprintf("Ann%s Lee", phone[len(phone)-3:]), consent, restricted, []string{"vip"}, `{"city":"Paris"}`)
			if after != nil {
				after(id, phone)
			}
			ids = append(ids, id)
		}
		inL1 = append(inL1, ids...)
		return ids
	}
	s.eligible = add(10, "+4479110000", "opted_in", false, nil)
	add(3, "+4479110010", "opted_out", false, nil)
	add(2, "+4479110020", "opted_in", true, nil)
	add(4, "+4479110030", "unknown", false, nil)
	add(1, "+12", "opted_in", false, nil) // too short to be a number
	add(2, "+4479110050", "opted_in", false, func(id int64, phone string) {
		e.ledger(e.orgA, 0, phone, "UTILITY", "failed", 131026, now.Add(-90*24*time.Hour))
	})
	add(2, "+4479110060", "opted_in", false, func(id int64, phone string) {
		e.ledger(e.orgA, id, phone, "MARKETING", "delivered", nil, now.Add(-24*time.Hour))
		e.ledger(e.orgA, id, phone, "MARKETING", "queued", nil, now.Add(-time.Hour))
	})
	// Old, failed or utility messages do not count toward the cap.
	s.eligible = append(s.eligible, add(1, "+4479110070", "opted_in", false, func(id int64, phone string) {
		e.ledger(e.orgA, id, phone, "MARKETING", "delivered", nil, now.Add(-8*24*time.Hour))
		e.ledger(e.orgA, id, phone, "MARKETING", "failed", 131049, now.Add(-time.Hour))
		e.ledger(e.orgA, id, phone, "UTILITY", "delivered", nil, now.Add(-time.Hour))
	})...)
	for i := range 2 {
		id := e.contact(e.orgA, fmt.Sprintf("+4479110080%02d", i), "Excluded", "opted_in", false, []string{"vip"}, "")
		inL1, excluded = append(inL1, id), append(excluded, id)
	}
	for i := range 3 { // not in the list
		e.contact(e.orgA, fmt.Sprintf("+4479110090%02d", i), "Outsider", "opted_in", false, []string{"vip"}, "")
	}
	for i := range 5 {
		e.contact(e.orgB, fmt.Sprintf("+4479110000%02d", i), "Bee", "opted_in", false, []string{"vip"}, "")
	}
	s.l1 = e.list(e.orgA, "Customers", inL1...)
	s.l2 = e.list(e.orgA, "Staff", excluded...)
	s.want = map[SkipReason]int64{SkipOptedOut: 3, SkipRestricted: 2, SkipNoConsent: 4, SkipInvalidNumber: 1, SkipNotOnWhatsApp: 2, SkipFrequencyCap: 2}
	return s
}

func (e *env) draft(s seeded) Campaign {
	e.t.Helper()
	c, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: "Spring sale", TemplateID: e.promo, Mapping: promoMapping,
		Audience: Audience{Lists: []int64{s.l1}, Exclude: []int64{s.l2}}})
	e.must(err)
	return c
}

func TestPreSendCheckSeededOrg(t *testing.T) {
	e := setup(t, Options{})
	s := e.seed()
	c := e.draft(s)
	got, err := e.svc.Check(e.ctx, e.orgA, c.ID)
	e.must(err)
	if got.Audience != 25 || got.WillReceive != 11 {
		t.Errorf("audience %d, will receive %d; want 25, 11", got.Audience, got.WillReceive)
	}
	if !maps.Equal(got.Skipped, s.want) {
		t.Errorf("skipped %v; want %v", got.Skipped, s.want)
	}
	if len(got.Warnings) != 0 || got.Blocked() {
		t.Errorf("warnings %+v", got.Warnings)
	}
	// 11 British numbers at the GB marketing price.
	if want := 11 * 0.0529; got.EstimatedCost < want-1e-9 || got.EstimatedCost > want+1e-9 || got.Currency != "USD" {
		t.Errorf("cost %v %s; want %v USD", got.EstimatedCost, got.Currency, want)
	}

	// A utility template needs no recorded consent and has no frequency cap.
	e.exec(`UPDATE wa_templates SET status = 'APPROVED' WHERE id = ?`, e.pending)
	u, err := e.svc.Update(e.ctx, e.orgA, e.user, c.ID, Input{Name: "Update", TemplateID: e.pending,
		Mapping: Mapping{"body.1": {Source: SourceText, Text: "A1"}}, Audience: c.Audience})
	e.must(err)
	got, err = e.svc.Check(e.ctx, e.orgA, u.ID)
	e.must(err)
	wantU := map[SkipReason]int64{SkipOptedOut: 3, SkipRestricted: 2, SkipInvalidNumber: 1, SkipNotOnWhatsApp: 2}
	if !maps.Equal(got.Skipped, wantU) || got.WillReceive != 17 {
		t.Errorf("utility: skipped %v will receive %d; want %v, 17", got.Skipped, got.WillReceive, wantU)
	}

	// Warnings: not approved, quality, messaging limit.
	e.exec(`UPDATE wa_templates SET status = 'PENDING' WHERE id = ?`, e.pending)
	e.exec(`UPDATE wa_connections SET quality_rating = 'RED', messaging_limit_tier = 'TIER_250' WHERE org_id = ?`, e.orgA)
	e.exec(`UPDATE org_send_settings SET cap_count = 0 WHERE org_id = ?`, e.orgA)
	got, err = e.svc.Check(e.ctx, e.orgA, u.ID)
	e.must(err)
	codes := map[string]bool{}
	for _, w := range got.Warnings {
		codes[w.Code] = true
	}
	if !codes["template_not_approved"] || !codes["quality_red"] || codes["over_limit"] || !got.Blocked() {
		t.Errorf("warnings %+v", got.Warnings)
	}
	// 40 more: 57 people for a number that may reach 50 a day.
	e.exec(`UPDATE wa_connections SET messaging_limit_tier = 'TIER_50' WHERE org_id = ?`, e.orgA)
	e.exec(`WITH n AS (INSERT INTO contacts (org_id, phone_e164, consent_state) SELECT ?, '+4479112' || lpad(g::text, 5, '0'), 'opted_in'
		FROM generate_series(1, 40) g RETURNING id) INSERT INTO contact_list_members (org_id, list_id, contact_id) SELECT ?, ?, id FROM n`, e.orgA, e.orgA, s.l1)
	got, _ = e.svc.Check(e.ctx, e.orgA, u.ID)
	if !hasWarning(got, "over_limit") || got.WillReceive != 57 {
		t.Errorf("no over_limit warning for %d > 50? %+v", got.WillReceive, got.Warnings)
	}
}

func hasWarning(c Check, code string) bool {
	for _, w := range c.Warnings {
		if w.Code == code {
			return true
		}
	}
	return false
}

func TestFrequencyCapSetting(t *testing.T) {
	e := setup(t, Options{})
	s := e.seed()
	c := e.draft(s)
	// Three marketing messages a week: the two capped contacts may get one more.
	e.exec(`INSERT INTO org_send_settings (org_id, cap_count, cap_days) VALUES (?, 3, 7)`, e.orgA)
	got, err := e.svc.Check(e.ctx, e.orgA, c.ID)
	e.must(err)
	if got.Skipped[SkipFrequencyCap] != 0 || got.WillReceive != 13 {
		t.Errorf("cap 3: skipped %v, will receive %d", got.Skipped, got.WillReceive)
	}
	// One a fortnight: the contact with an 8-day-old message is capped too.
	e.exec(`UPDATE org_send_settings SET cap_count = 1, cap_days = 14 WHERE org_id = ?`, e.orgA)
	got, _ = e.svc.Check(e.ctx, e.orgA, c.ID)
	if got.Skipped[SkipFrequencyCap] != 3 || got.WillReceive != 10 {
		t.Errorf("cap 1/14d: skipped %v, will receive %d", got.Skipped, got.WillReceive)
	}
}

func TestAudienceRules(t *testing.T) {
	e := setup(t, Options{})
	a1 := e.contact(e.orgA, "+447911300001", "A", "opted_in", false, []string{"vip", "york"}, `{"city":"York","tier":"gold"}`)
	a2 := e.contact(e.orgA, "+447911300002", "B", "opted_in", false, []string{"vip"}, `{"city":"Leeds"}`)
	a3 := e.contact(e.orgA, "+447911300003", "C", "opted_in", false, []string{"york"}, `{"city":"York"}`)
	a4 := e.contact(e.orgA, "+447911300004", "D", "opted_in", false, nil, "")
	e.contact(e.orgB, "+447911300001", "A", "opted_in", false, []string{"vip", "york"}, `{"city":"York"}`)
	l1 := e.list(e.orgA, "One", a1, a2)
	l2 := e.list(e.orgA, "Two", a2, a3)
	lb := e.list(e.orgB, "B's list")
	_ = a4
	tests := []struct {
		name string
		a    Audience
		want int64
	}{
		{"everyone", Audience{}, 4},
		{"one list", Audience{Lists: []int64{l1}}, 2},
		{"two lists, all", Audience{Lists: []int64{l1, l2}}, 1},
		{"two lists, any", Audience{Match: MatchAny, Lists: []int64{l1, l2}}, 3},
		{"tag", Audience{Tags: []string{"vip"}}, 2},
		{"two tags, all", Audience{Tags: []string{"vip", "york"}}, 1},
		{"two tags, any", Audience{Match: MatchAny, Tags: []string{"vip", "york"}}, 3},
		{"attribute", Audience{Attrs: []AttrFilter{{Key: "city", Value: "York"}}}, 2},
		{"attribute and tag", Audience{Tags: []string{"vip"}, Attrs: []AttrFilter{{Key: "city", Value: "York"}}}, 1},
		{"list or attribute", Audience{Match: MatchAny, Lists: []int64{l1}, Attrs: []AttrFilter{{Key: "city", Value: "York"}}}, 3},
		{"everyone minus a list", Audience{Exclude: []int64{l2}}, 2},
		{"any minus a list", Audience{Match: MatchAny, Tags: []string{"vip", "york"}, Exclude: []int64{l1}}, 1},
		{"another org's list", Audience{Lists: []int64{lb}}, 0},
		{"attribute value is exact", Audience{Attrs: []AttrFilter{{Key: "city", Value: "york"}}}, 0},
	}
	for _, tc := range tests {
		n, err := e.svc.Count(e.ctx, e.orgA, tc.a)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if n != tc.want {
			t.Errorf("%s: %d contacts; want %d", tc.name, n, tc.want)
		}
	}
	if fe := (Audience{Lists: []int64{l1}, Exclude: []int64{l1}}).Validate(); fe["audience.exclude"] == "" {
		t.Errorf("a list both included and excluded passes: %v", fe)
	}
}

func TestStartFreezesEligibleRecipients(t *testing.T) {
	e := setup(t, Options{FirstChunk: 5, Chunk: 7})
	s := e.seed()
	c := e.draft(s)
	started, err := e.svc.Start(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	if started.Status != StatusRunning || started.Frozen || started.TemplateName != "spring_sale" || started.Category != "MARKETING" {
		t.Fatalf("after start: %+v", started)
	}
	// The first chunk is committed before the job runs.
	var first int64
	e.inOrg(e.orgA, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM messages WHERE org_id = ? AND campaign_id = ?`, e.orgA, c.ID).Scan(&first).Error
	})
	if first == 0 || first > 5 {
		t.Errorf("first chunk froze %d rows", first)
	}
	e.runJobs()
	got, err := e.svc.Get(e.ctx, e.orgA, c.ID)
	e.must(err)
	if !got.Frozen || got.Recipients != 11 || !maps.Equal(got.Skipped, s.want) || got.Stats.Queued != 11 || got.Stats.Skipped != 14 {
		t.Fatalf("after freezing: frozen %v recipients %d skipped %v stats %+v", got.Frozen, got.Recipients, got.Skipped, got.Stats)
	}
	if got.EstimatedCost < 0.58 || got.EstimatedCost > 0.59 {
		t.Errorf("estimated cost %v", got.EstimatedCost)
	}
	tpl, err := e.svc.Template(e.ctx, e.orgA, e.promo)
	e.must(err)
	// Exactly the eligible contacts, with the params Render gives.
	var rows []struct {
		ContactID                                      int64
		ToE164, Status, Category, TemplateName, Params string
		TemplateLanguage, Kind                         string
		ConnectionID                                   int64
	}
	e.inOrg(e.orgA, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT contact_id, to_e164, status, category, template_name, template_language, kind, connection_id, params::text AS params
			FROM messages WHERE org_id = ? AND campaign_id = ? ORDER BY contact_id`, e.orgA, c.ID).Scan(&rows).Error
	})
	if len(rows) != len(s.eligible) {
		t.Fatalf("%d ledger rows; want %d", len(rows), len(s.eligible))
	}
	for i, r := range rows {
		if r.ContactID != s.eligible[i] || r.Status != "queued" || r.Category != "MARKETING" || r.TemplateName != "spring_sale" ||
			r.TemplateLanguage != "en_US" || r.Kind != "template" || r.ConnectionID != e.connA {
			t.Errorf("row %d: %+v", i, r)
		}
		sample, err := e.svc.SampleContact(e.ctx, e.orgA, Audience{}, r.ContactID-1, false)
		e.must(err)
		var p whatsapp.TemplateParams
		e.must(json.Unmarshal([]byte(r.Params), &p))
		if want := Render(tpl.Template, promoMapping, sample); !reflect.DeepEqual(p, want) {
			t.Errorf("contact %d: SQL rendered %+v; Go renders %+v", r.ContactID, p, want)
		}
	}
	var one whatsapp.TemplateParams
	e.must(json.Unmarshal([]byte(rows[0].Params), &one))
	want := whatsapp.TemplateParams{
		Header:  []whatsapp.Parameter{whatsapp.TextParam("Ann000")},
		Body:    []whatsapp.Parameter{whatsapp.TextParam("Ann000 Lee"), whatsapp.TextParam("SPRING"), whatsapp.TextParam("Paris")},
		Buttons: []whatsapp.ButtonParameter{{Type: whatsapp.ButtonURL, Index: 1, Value: "+4479110000000"}}}
	if !reflect.DeepEqual(one, want) {
		t.Errorf("params %+v; want %+v", one, want)
	}

	// A re-run changes nothing: the job again, and a chunk from the start.
	e.must(e.svc.Freeze(e.ctx, e.orgA, c.ID))
	e.exec(`UPDATE campaigns SET freeze_cursor = 0, frozen = false WHERE org_id = ? AND id = ?`, e.orgA, c.ID)
	e.must(e.svc.Freeze(e.ctx, e.orgA, c.ID))
	again, _ := e.svc.Get(e.ctx, e.orgA, c.ID)
	var n int64
	e.inOrg(e.orgA, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM messages WHERE org_id = ? AND campaign_id = ?`, e.orgA, c.ID).Scan(&n).Error
	})
	if n != 11 || again.Recipients != 11 || again.Stats.Queued != 11 {
		t.Errorf("after a re-run: %d rows, recipients %d, queued %d", n, again.Recipients, again.Stats.Queued)
	}
	// Starting twice is refused.
	if _, err := e.svc.Start(e.ctx, e.orgA, e.user, c.ID); !errors.Is(err, ErrState) {
		t.Errorf("second start: %v", err)
	}
}

func TestStartRefusals(t *testing.T) {
	e := setup(t, Options{})
	s := e.seed()
	// Pending template.
	c, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: "U", TemplateID: e.pending,
		Mapping: Mapping{"body.1": {Source: SourceText, Text: "A1"}}, Audience: Audience{Lists: []int64{s.l1}}})
	e.must(err)
	if _, err := e.svc.Start(e.ctx, e.orgA, e.user, c.ID); !errors.Is(err, ErrTemplateNotApproved) {
		t.Errorf("pending template: %v", err)
	}
	// Incomplete mapping.
	c2, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: "P", TemplateID: e.promo, Mapping: Mapping{"body.1": {Source: SourceName}}})
	e.must(err)
	var fe FieldErrors
	if _, err := e.svc.Start(e.ctx, e.orgA, e.user, c2.ID); !errors.As(err, &fe) || fe["map.body.1.fallback"] == "" || fe["map.header.1.source"] == "" {
		t.Errorf("incomplete mapping: %v", err)
	}
	// Another org's campaign is not found.
	if _, err := e.svc.Start(e.ctx, e.orgB, e.user, c2.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("org B starting A's campaign: %v", err)
	}
	// Nothing changed.
	got, _ := e.svc.Get(e.ctx, e.orgA, c.ID)
	if got.Status != StatusDraft {
		t.Errorf("status %s", got.Status)
	}
	// Bad input.
	if _, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: " ", TemplateID: 999999, WindowStart: "25:00", WindowEnd: "x"}); !errors.As(err, &fe) ||
		fe["name"] == "" || fe["template_id"] == "" || fe["window_start"] == "" {
		t.Errorf("bad input: %v", err)
	}
	// Org B cannot use A's template.
	if _, err := e.svc.Create(e.ctx, e.orgB, e.user, Input{Name: "B", TemplateID: e.promo}); !errors.As(err, &fe) || fe["template_id"] == "" {
		t.Errorf("B with A's template: %v", err)
	}
}

func TestStateTransitions(t *testing.T) {
	e := setup(t, Options{FirstChunk: 100})
	s := e.seed()
	c := e.draft(s)
	for name, fn := range map[string]func() (Campaign, error){
		"pause a draft":  func() (Campaign, error) { return e.svc.Pause(e.ctx, e.orgA, e.user, c.ID) },
		"resume a draft": func() (Campaign, error) { return e.svc.Resume(e.ctx, e.orgA, e.user, c.ID) },
		"cancel a draft": func() (Campaign, error) { return e.svc.Cancel(e.ctx, e.orgA, e.user, c.ID) },
	} {
		var se *StateError
		if _, err := fn(); !errors.As(err, &se) || !errors.Is(err, ErrState) {
			t.Errorf("%s: %v", name, err)
		}
	}
	_, err := e.svc.Start(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	if _, err := e.svc.Update(e.ctx, e.orgA, e.user, c.ID, Input{Name: "x"}); !errors.Is(err, ErrState) {
		t.Errorf("edit running: %v", err)
	}
	if err := e.svc.Delete(e.ctx, e.orgA, e.user, c.ID); !errors.Is(err, ErrState) {
		t.Errorf("delete running: %v", err)
	}
	p, err := e.svc.Pause(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	if p.Status != StatusPaused || p.PauseReason != PauseManual {
		t.Errorf("paused: %s %q", p.Status, p.PauseReason)
	}
	if _, err := e.svc.Pause(e.ctx, e.orgA, e.user, c.ID); !errors.Is(err, ErrState) {
		t.Errorf("pause twice: %v", err)
	}
	r, err := e.svc.Resume(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	if r.Status != StatusRunning || r.PauseReason != "" {
		t.Errorf("resumed: %s %q", r.Status, r.PauseReason)
	}
	// One message is being sent: cancel leaves it, cancels the rest.
	e.exec(`UPDATE messages SET status = 'sending' WHERE id = (SELECT min(id) FROM messages WHERE campaign_id = ?)`, c.ID)
	x, err := e.svc.Cancel(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	if x.Status != StatusCancelled || x.FinishedAt == nil {
		t.Errorf("cancelled: %+v", x)
	}
	var counts []struct {
		Status string
		N      int64
	}
	e.inOrg(e.orgA, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT status, count(*) AS n FROM messages WHERE org_id = ? AND campaign_id = ? GROUP BY 1 ORDER BY 1`, e.orgA, c.ID).Scan(&counts).Error
	})
	if len(counts) != 2 || counts[0].Status != "cancelled" || counts[0].N != 10 || counts[1].Status != "sending" || counts[1].N != 1 {
		t.Errorf("ledger after cancel: %+v", counts)
	}
	if _, err := e.svc.Resume(e.ctx, e.orgA, e.user, c.ID); !errors.Is(err, ErrState) {
		t.Errorf("resume cancelled: %v", err)
	}
	// Duplicate makes a fresh draft with the same content; drafts delete.
	d, err := e.svc.Duplicate(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	if d.Status != StatusDraft || d.Name != "Spring sale (copy)" || d.TemplateID != e.promo || !reflect.DeepEqual(d.Mapping, promoMapping) || d.Recipients != 0 {
		t.Errorf("duplicate: %+v", d)
	}
	e.must(e.svc.Delete(e.ctx, e.orgA, e.user, d.ID))
	if _, err := e.svc.Get(e.ctx, e.orgA, d.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted draft: %v", err)
	}
	list, err := e.svc.List(e.ctx, e.orgA, 0)
	e.must(err)
	if len(list) != 1 || list[0].Stats.Queued != 1 { // the row made 'sending' by hand
		t.Errorf("list: %+v", list)
	}
	if l, _ := e.svc.List(e.ctx, e.orgB, 0); len(l) != 0 {
		t.Errorf("org B sees %d campaigns", len(l))
	}
}

func TestScheduleAndSendingHours(t *testing.T) {
	e := setup(t, Options{})
	s := e.seed()
	e.exec(`UPDATE orgs SET time_zone = 'America/New_York' WHERE id = ?`, e.orgA)
	ny, _ := time.LoadLocation("America/New_York")
	c := e.draft(s)
	_, err := e.svc.Update(e.ctx, e.orgA, e.user, c.ID, Input{Name: c.Name, TemplateID: e.promo, Mapping: promoMapping,
		Audience: c.Audience, WindowStart: "09:00", WindowEnd: "17:00"})
	e.must(err)
	// Clock: Mon 2 March 2026 09:00 UTC = 04:00 in New York.
	if _, err := e.svc.Schedule(e.ctx, e.orgA, e.user, c.ID, e.clock.Now().Add(-time.Minute)); err == nil {
		t.Error("scheduled in the past")
	}
	at := time.Date(2026, 3, 2, 15, 0, 0, 0, ny)
	sc, err := e.svc.Schedule(e.ctx, e.orgA, e.user, c.ID, at)
	e.must(err)
	if sc.Status != StatusScheduled || !sc.ScheduledAt.Equal(at) {
		t.Fatalf("scheduled: %+v", sc)
	}
	status := func() (string, string) {
		got, err := e.svc.Get(e.ctx, e.orgA, c.ID)
		e.must(err)
		return got.Status, got.PauseReason
	}
	e.must(e.svc.Tick(e.ctx))
	if st, _ := status(); st != StatusScheduled {
		t.Fatalf("started early: %s", st)
	}
	e.clock.Advance(at.Sub(e.clock.Now()) + 10*time.Second) // 15:00:10 New York
	e.must(e.svc.Tick(e.ctx))
	if st, _ := status(); st != StatusRunning {
		t.Fatalf("due at 15:00 New York, status %s", st)
	}
	e.runJobs()
	// 17:00 in New York: outside the hours → paused; 09:00 next day → running.
	e.clock.Advance(2 * time.Hour)
	e.must(e.svc.Tick(e.ctx))
	if st, why := status(); st != StatusPaused || why != PauseOutsideHours {
		t.Fatalf("17:00 New York: %s %q", st, why)
	}
	// Resuming by hand outside the hours keeps it waiting for them.
	if r, err := e.svc.Resume(e.ctx, e.orgA, e.user, c.ID); err != nil || r.Status != StatusPaused || r.PauseReason != PauseOutsideHours {
		t.Errorf("resume outside hours: %+v %v", r, err)
	}
	e.clock.Advance(15*time.Hour + time.Minute) // 08:01 next day
	e.must(e.svc.Tick(e.ctx))
	if st, _ := status(); st != StatusPaused {
		t.Fatalf("08:01: %s", st)
	}
	e.clock.Advance(time.Hour) // 09:01
	e.must(e.svc.Tick(e.ctx))
	if st, why := status(); st != StatusRunning || why != "" {
		t.Fatalf("09:01 New York: %s %q", st, why)
	}
	// A campaign paused by a person stays paused whatever the hour.
	_, err = e.svc.Pause(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	e.clock.Advance(24 * time.Hour)
	e.must(e.svc.Tick(e.ctx))
	if st, why := status(); st != StatusPaused || why != PauseManual {
		t.Fatalf("manual pause: %s %q", st, why)
	}

	// Due with a template that is no longer approved: failed, with words.
	c2 := e.draft(s)
	_, err = e.svc.Schedule(e.ctx, e.orgA, e.user, c2.ID, e.clock.Now().Add(time.Hour))
	e.must(err)
	e.exec(`UPDATE wa_templates SET status = 'PAUSED' WHERE id = ?`, e.promo)
	e.clock.Advance(2 * time.Hour)
	e.must(e.svc.Tick(e.ctx))
	got, _ := e.svc.Get(e.ctx, e.orgA, c2.ID)
	if got.Status != StatusFailed || got.Error == "" {
		t.Errorf("due with a paused template: %s %q", got.Status, got.Error)
	}
	// Unschedule.
	c3 := e.draft(s)
	_, err = e.svc.Schedule(e.ctx, e.orgA, e.user, c3.ID, e.clock.Now().Add(time.Hour))
	e.must(err)
	u, err := e.svc.Unschedule(e.ctx, e.orgA, e.user, c3.ID)
	e.must(err)
	if u.Status != StatusDraft || u.ScheduledAt != nil {
		t.Errorf("unscheduled: %+v", u)
	}
}

func TestInWindow(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(h, m int) time.Time { return time.Date(2026, 7, 1, h, m, 0, 0, berlin) }
	tests := []struct {
		t          time.Time
		start, end string
		want       bool
	}{
		{at(8, 59), "09:00", "20:00", false},
		{at(9, 0), "09:00", "20:00", true},
		{at(19, 59), "09:00", "20:00", true},
		{at(20, 0), "09:00", "20:00", false},
		{at(23, 0), "20:00", "08:00", true},
		{at(7, 0), "20:00", "08:00", true},
		{at(12, 0), "20:00", "08:00", false},
		{at(3, 0), "", "", true},
		// 07:30 UTC is 09:30 in Berlin in summer.
		{time.Date(2026, 7, 1, 7, 30, 0, 0, time.UTC), "09:00", "10:00", true},
	}
	for _, tc := range tests {
		if got := inWindow(tc.t, berlin, tc.start, tc.end); got != tc.want {
			t.Errorf("%s in %s–%s: %v", tc.t.Format("15:04 MST"), tc.start, tc.end, got)
		}
	}
}

func TestRenderAndPreview(t *testing.T) {
	var tpl whatsapp.Template
	if err := json.Unmarshal([]byte(`{"name":"x","components":`+promoComponents+`}`), &tpl); err != nil {
		t.Fatal(err)
	}
	vars := Variables(tpl)
	keys := []string{}
	for _, v := range vars {
		keys = append(keys, v.Key)
	}
	if !reflect.DeepEqual(keys, []string{"header.1", "body.1", "body.2", "body.3", "button.1.1"}) {
		t.Errorf("variables %v", keys)
	}
	c := contact.Contact{PhoneE164: "+447911123456", Name: "  Zoë\tSmith ", Attributes: map[string]string{}}
	p := RenderPreview(tpl, promoMapping, c)
	if p.Header != "Hello Zoë" || p.Body != "Hi Zoë Smith, your code SPRING gives 20% off in our shops." || p.Footer == "" || len(p.Buttons) != 2 {
		t.Errorf("preview %+v", p)
	}
	// Named templates carry the parameter names.
	named := whatsapp.Template{Components: []whatsapp.TemplateComponent{{Type: "BODY", Text: "Hi {{first_name}}"}}}
	r := Render(named, Mapping{"body.first_name": {Source: SourceFirstName, Fallback: "there"}}, contact.Contact{})
	if len(r.Body) != 1 || r.Body[0].Name != "first_name" || r.Body[0].Text != "there" {
		t.Errorf("named: %+v", r)
	}
}

func TestCancelWhileFreezingAndSuspendedOrg(t *testing.T) {
	e := setup(t, Options{FirstChunk: 3, Chunk: 3})
	s := e.seed()
	c := e.draft(s)
	_, err := e.svc.Start(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	x, err := e.svc.Cancel(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	e.runJobs()
	got, err := e.svc.Get(e.ctx, e.orgA, c.ID)
	e.must(err)
	var queued, total int64
	e.inOrg(e.orgA, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FILTER (WHERE status = 'queued'), count(*) FROM messages WHERE org_id = ? AND campaign_id = ?`, e.orgA, c.ID).Row().Scan(&queued, &total)
	})
	if x.Status != StatusCancelled || !got.Frozen || got.Status != StatusCancelled || queued != 0 || total != got.Recipients || total >= 11 {
		t.Errorf("cancelled while freezing: status %s frozen %v, %d queued of %d rows, recipients %d", got.Status, got.Frozen, queued, total, got.Recipients)
	}
	// A suspended organisation sends nothing.
	e.exec(`UPDATE orgs SET suspended_at = now() WHERE id = ?`, e.orgA)
	c2 := e.draft(s)
	if _, err := e.svc.Start(e.ctx, e.orgA, e.user, c2.ID); !errors.Is(err, ErrSuspended) {
		t.Errorf("suspended org starts: %v", err)
	}
}

func TestUSMarketingWarning(t *testing.T) {
	e := setup(t, Options{})
	id := e.contact(e.orgA, "+12025550143", "Sam", "opted_in", false, nil, "")
	l := e.list(e.orgA, "US", id)
	c, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: "US", TemplateID: e.promo, Mapping: promoMapping, Audience: Audience{Lists: []int64{l}}})
	e.must(err)
	got, err := e.svc.Check(e.ctx, e.orgA, c.ID)
	e.must(err)
	if !hasWarning(got, "us_marketing") || got.WillReceive != 1 {
		t.Errorf("warnings %+v", got.Warnings)
	}
	// US marketing price from the table.
	if got.EstimatedCost != 0.025 {
		t.Errorf("cost %v", got.EstimatedCost)
	}
}

// TestSQLRenderMatchesGo holds the two renderers together for named
// templates and media headers, on real rows.
func TestSQLRenderMatchesGo(t *testing.T) {
	e := setup(t, Options{})
	tpls := map[string]string{
		"named": `[{"type":"HEADER","format":"TEXT","text":"For {{first_name}}"},{"type":"BODY","text":"Hi {{first_name}}, order {{order_id}} from {{city}}."},
			{"type":"BUTTONS","buttons":[{"type":"URL","text":"Track","url":"https://t.example/{{order_id}}"}]}]`,
		"media": `[{"type":"HEADER","format":"IMAGE"},{"type":"BODY","text":"Hi {{1}}"}]`,
	}
	maps := map[string]Mapping{
		"named": {"header.first_name": {Source: SourceFirstName, Fallback: "you"}, "body.first_name": {Source: SourceFirstName, Fallback: "there"},
			"body.order_id": {Source: SourceAttribute, Key: "order", Fallback: "n/a"}, "body.city": {Source: SourceAttribute, Key: "city", Fallback: "us"},
			"button.0.order_id": {Source: SourceAttribute, Key: "order", Fallback: "0"}},
		"media": {MediaKey: {Source: SourceText, Text: "https://cdn.example/spring.jpg"}, "body.1": {Source: SourceName, Fallback: "friend"}},
	}
	ids := []int64{
		e.contact(e.orgA, "+447911400001", "  Zoë\tvan Dijk ", "opted_in", false, nil, `{"order":"A-17","city":"Utrecht"}`),
		e.contact(e.orgA, "+447911400002", "", "opted_in", false, nil, `{"order":" "}`),
	}
	for name, comps := range tpls {
		id := e.template(e.orgA, "t_"+name, "UTILITY", "APPROVED", comps)
		tpl, err := e.svc.Template(e.ctx, e.orgA, id)
		e.must(err)
		if fe := ValidateMapping(tpl.Template, maps[name]); fe != nil {
			t.Fatalf("%s: mapping %v", name, fe)
		}
		expr, args := paramsSQL(tpl.Template, maps[name])
		for _, cid := range ids {
			var js string
			e.inOrg(e.orgA, func(tx *gorm.DB) error {
				return tx.Raw(`SELECT (`+expr+`)::text FROM contacts c WHERE c.org_id = ? AND c.id = ?`, append(args, e.orgA, cid)...).Scan(&js).Error
			})
			var got whatsapp.TemplateParams
			e.must(json.Unmarshal([]byte(js), &got))
			sample, err := e.svc.SampleContact(e.ctx, e.orgA, Audience{}, cid-1, false)
			e.must(err)
			if want := Render(tpl.Template, maps[name], sample); !reflect.DeepEqual(got, want) {
				t.Errorf("%s, contact %d: SQL %+v; Go %+v", name, cid, got, want)
			}
		}
	}
	// The media header is a link parameter of the header's type.
	tpl := whatsapp.Template{Components: []whatsapp.TemplateComponent{{Type: "HEADER", Format: "IMAGE"}}}
	p := Render(tpl, maps["media"], contact.Contact{})
	if len(p.Header) != 1 || p.Header[0].Type != whatsapp.ParamImage || p.Header[0].Link != "https://cdn.example/spring.jpg" {
		t.Errorf("media header: %+v", p.Header)
	}
	if fe := ValidateMapping(tpl, Mapping{MediaKey: {Source: SourceText, Text: "http://insecure"}}); fe["map.header.media.text"] == "" {
		t.Errorf("an http link passes: %v", fe)
	}
}

// Contact ids come from one sequence shared by every org, so an org's
// contacts may start far from 1: the first chunk must still reach them
// without waiting for the freeze job.
func TestStartFirstChunkReachesAnOrgsHighIDs(t *testing.T) {
	e := setup(t, Options{FirstChunk: 5, Chunk: 7, FirstBudget: time.Nanosecond})
	e.exec(`SELECT setval('contacts_id_seq', 5000000)`)
	s := e.seed()
	c := e.draft(s)
	_, err := e.svc.Start(e.ctx, e.orgA, e.user, c.ID)
	e.must(err)
	var first int64
	e.inOrg(e.orgA, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT count(*) FROM messages WHERE org_id = ? AND campaign_id = ?`, e.orgA, c.ID).Scan(&first).Error
	})
	if first == 0 {
		t.Fatal("Start froze no one: the first chunk walked ids below the org's contacts")
	}
}
