package campaign

import (
	"testing"

	"github.com/jackc/pgx/v5"
	"time"

	"gorm.io/gorm"
)

// seedMany adds n contacts to org A, set-based: a mix of consent states,
// two tags, a city, half of them in a list, a tenth in an exclusion list.
func (e *env) seedMany(n int) (list, excl int64) {
	e.t.Helper()
	e.exec(`INSERT INTO contacts (org_id, phone_e164, name, consent_state, restricted, tags, attributes)
		SELECT ?, '+4479' || lpad(g::text, 8, '0'), 'Person ' || g,
			(ARRAY['opted_in', 'opted_in', 'opted_in', 'unknown', 'opted_out'])[1 + g % 5], g % 97 = 0,
			CASE WHEN g % 3 = 0 THEN ARRAY['vip', 'newsletter'] ELSE ARRAY['newsletter'] END,
			jsonb_build_object('city', (ARRAY['Leeds', 'York', 'Hull'])[1 + g % 3])
		FROM generate_series(1, ?) g`, e.orgA, n)
	e.must(e.ops.Gorm.Raw(`INSERT INTO contact_lists (org_id, name) VALUES (?, 'Half') RETURNING id`, e.orgA).Scan(&list).Error)
	e.must(e.ops.Gorm.Raw(`INSERT INTO contact_lists (org_id, name) VALUES (?, 'Tenth') RETURNING id`, e.orgA).Scan(&excl).Error)
	e.exec(`INSERT INTO contact_list_members (org_id, list_id, contact_id) SELECT org_id, ?, id FROM contacts WHERE org_id = ? AND id % 2 = 0`, list, e.orgA)
	e.exec(`INSERT INTO contact_list_members (org_id, list_id, contact_id) SELECT org_id, ?, id FROM contacts WHERE org_id = ? AND id % 10 = 0`, excl, e.orgA)
	// Fresh statistics, as autovacuum (and the import's contacts_analyze)
	// leave them in production; only the owner may ANALYZE.
	conn, err := pgx.Connect(e.ctx, e.db.OwnerURL)
	e.must(err)
	defer conn.Close(e.ctx)
	_, err = conn.Exec(e.ctx, `ANALYZE contacts; ANALYZE contact_list_members; ANALYZE messages`)
	e.must(err)
	return list, excl
}

// TestAudienceSpeed100k: the live count and the pre-send check on 100,000
// contacts answer well inside a second (they run while someone edits).
func TestAudienceSpeed100k(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 100,000 contacts")
	}
	e := setup(t, Options{})
	list, excl := e.seedMany(100_000)
	a := Audience{Lists: []int64{list}, Tags: []string{"newsletter"}, Attrs: []AttrFilter{{Key: "city", Value: "York"}}, Exclude: []int64{excl}}
	best := func(fn func()) time.Duration {
		d := time.Duration(1 << 62)
		for range 3 {
			t0 := time.Now()
			fn()
			d = min(d, time.Since(t0))
		}
		return d
	}
	var n int64
	countD := best(func() {
		var err error
		n, err = e.svc.Count(e.ctx, e.orgA, a)
		e.must(err)
	})
	everyoneD := best(func() {
		_, err := e.svc.Count(e.ctx, e.orgA, Audience{})
		e.must(err)
	})
	c, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: "Big", TemplateID: e.promo, Mapping: promoMapping, Audience: a})
	e.must(err)
	var chk Check
	checkD := best(func() {
		chk, err = e.svc.Check(e.ctx, e.orgA, c.ID)
		e.must(err)
	})
	t.Logf("100k contacts: count %d in %v (everyone: %v); check (%d receive, %v skipped) in %v", n, countD, everyoneD, chk.WillReceive, chk.Skipped, checkD)
	if chk.Audience != n {
		t.Errorf("check audience %d, count %d", chk.Audience, n)
	}
	if countD > time.Second || checkD > 2*time.Second {
		t.Errorf("too slow for a live count: count %v, check %v", countD, checkD)
	}
}

// BenchmarkTimeToFirstRow1M measures Start on a 1,000,000-contact
// audience: from the call to the first chunk committed in the ledger
// (the sender can claim it from then on). Run with
//
//	go run ./internal/platform/pgtest/withdb -- go test -run '^$' -bench TimeToFirstRow -benchtime 3x ./internal/campaign/
func BenchmarkTimeToFirstRow1M(b *testing.B) {
	e := setup(b, Options{})
	list, excl := e.seedMany(1_000_000)
	a := Audience{Tags: []string{"newsletter"}}
	// For the record: the live count and the check at this size.
	big := Audience{Lists: []int64{list}, Tags: []string{"newsletter"}, Exclude: []int64{excl}}
	t0 := time.Now()
	n, err := e.svc.Count(e.ctx, e.orgA, big)
	e.must(err)
	countD := time.Since(t0)
	c0, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: "Check", TemplateID: e.promo, Mapping: promoMapping, Audience: big})
	e.must(err)
	t0 = time.Now()
	chk, err := e.svc.Check(e.ctx, e.orgA, c0.ID)
	e.must(err)
	b.Logf("1M contacts: count %d in %v; check (%d receive) in %v", n, countD, chk.WillReceive, time.Since(t0))
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		c, err := e.svc.Create(e.ctx, e.orgA, e.user, Input{Name: "Million", TemplateID: e.promo, Mapping: promoMapping, Audience: a})
		e.must(err)
		// Earlier iterations' rows must not cap this one's recipients.
		e.exec(`DELETE FROM messages WHERE org_id = ?`, e.orgA)
		b.StartTimer()
		t0 := time.Now()
		_, err = e.svc.Start(e.ctx, e.orgA, e.user, c.ID)
		e.must(err)
		d := time.Since(t0)
		b.StopTimer()
		var n int64
		e.inOrg(e.orgA, func(tx *gorm.DB) error {
			return tx.Raw(`SELECT count(*) FROM messages WHERE org_id = ? AND campaign_id = ?`, e.orgA, c.ID).Scan(&n).Error
		})
		b.Logf("iteration %d: first chunk of %d rows committed %v after Start", i, n, d)
		if i == b.N-1 {
			b.ReportMetric(d.Seconds(), "s_to_first_row")
			b.Logf("BENCH first_send audience=1000000 seconds=%.3f", d.Seconds())
			// The rest, as the freeze job does it.
			t1 := time.Now()
			e.runJobs()
			got, err := e.svc.Get(e.ctx, e.orgA, c.ID)
			e.must(err)
			b.Logf("freeze job: %d recipients, skipped %v, in %v", got.Recipients, got.Skipped, time.Since(t1))
		} else {
			e.jobs.take()
		}
		b.StartTimer()
	}
}
