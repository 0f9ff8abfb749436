package campaign

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
)

// Check is the pre-send check: how many contacts of the audience will
// receive the campaign, how many are skipped and why, and what deserves a
// warning. Start applies the same per-contact rules (reasonSQL) while it
// freezes, so what the check says is what happens.
type Check struct {
	Audience    int64 // contacts matching the audience
	WillReceive int64
	Skipped     map[SkipReason]int64
	Warnings    []Warning
	// EstimatedCost of WillReceive messages, if all are delivered.
	EstimatedCost float64
	Currency      string
	Category      string
	// LimitTier is the number's messaging limit (unique users per 24 h);
	// 0 when unknown or unlimited.
	LimitTier int64
}

// SkippedTotal sums the skipped counts.
func (c Check) SkippedTotal() int64 {
	var n int64
	for _, v := range c.Skipped {
		n += v
	}
	return n
}

// Warning is something the user should know before sending; Blocking ones
// stop Start.
type Warning struct {
	Code     string
	Text     string
	Blocking bool
}

// sendRules are the inputs of the per-contact rules.
type sendRules struct {
	marketing  bool
	capCount   int
	capDays    int
	campaignID int64 // its own ledger rows never count toward the cap
	now        time.Time
}

func loadRules(tx *gorm.DB, orgID, campaignID int64, category string, now time.Time) (sendRules, error) {
	r := sendRules{marketing: strings.EqualFold(category, CategoryMarketing), capCount: DefaultCapCount, capDays: DefaultCapDays, campaignID: campaignID, now: now}
	var st struct{ CapCount, CapDays int }
	err := tx.Raw(`SELECT cap_count, cap_days FROM org_send_settings WHERE org_id = ?`, orgID).Take(&st).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return r, fmt.Errorf("campaign: send settings: %w", err)
	default:
		r.capCount, r.capDays = st.CapCount, st.CapDays
	}
	return r, nil
}

// reasonSQL is the first skip reason that applies to the contacts row c,
// or ” when the contact may receive the campaign. Order = Reasons.
func (r sendRules) reasonSQL() (string, []any) {
	var b strings.Builder
	var args []any
	b.WriteString(`CASE
		WHEN c.phone_e164 !~ '^\+[1-9][0-9]{6,14}$' THEN 'invalid_number'
		WHEN c.consent_state = 'opted_out' THEN 'opted_out'
		WHEN c.restricted THEN 'restricted'`)
	// Platform suppression ("no business on this platform may message me",
	// PRIVACY.md) has no table yet. When it lands, add here:
	//   WHEN EXISTS (SELECT 1 FROM suppressions p WHERE p.hash = <keyed hash of c.phone_e164>) THEN 'platform_suppressed'
	// and the check, freezing and its tests pick it up; until then 0.
	if r.marketing {
		b.WriteString(`
		WHEN c.consent_state <> 'opted_in' THEN 'no_consent'`)
	}
	b.WriteString(`
		WHEN EXISTS (SELECT 1 FROM messages u WHERE u.org_id = c.org_id AND u.to_e164 = (c.phone_e164 COLLATE "default")
			AND u.error_code = 131026 AND u.status = 'failed') THEN 'not_on_whatsapp'`)
	if r.marketing && r.capCount > 0 {
		// Marketing messages in the ledger that went, or will go, out in the
		// last cap_days (failed, skipped and cancelled ones do not count).
		b.WriteString(`
		WHEN (SELECT count(*) FROM messages f WHERE f.org_id = c.org_id AND f.contact_id = c.id AND f.created_at > ?
			AND f.category = 'MARKETING' AND f.status IN ('queued', 'sending', 'sent', 'delivered', 'read', 'unknown')
			AND f.campaign_id IS DISTINCT FROM ?) >= ? THEN 'frequency_cap'`)
		args = append(args, r.now.Add(-time.Duration(r.capDays)*24*time.Hour), r.campaignID, r.capCount)
	}
	b.WriteString(`
		ELSE '' END`)
	return b.String(), args
}

type connInfo struct {
	ID                 int64
	QualityRating      string
	MessagingLimitTier string
	StoppedAt          *time.Time
}

func loadConn(tx *gorm.DB, orgID int64) (*connInfo, error) {
	var c connInfo
	err := tx.Raw(`SELECT id, quality_rating, messaging_limit_tier, stopped_at FROM wa_connections WHERE org_id = ? ORDER BY id LIMIT 1`, orgID).Take(&c).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("campaign: connection: %w", err)
	}
	return &c, nil
}

// tierLimit reads Meta's messaging limit tier ("TIER_2K"); 0 = unlimited
// or unknown.
func tierLimit(tier string) int64 {
	switch strings.ToUpper(strings.TrimPrefix(strings.ToUpper(tier), "TIER_")) {
	case "50":
		return 50
	case "250":
		return 250
	case "1K":
		return 1000
	case "2K":
		return 2000
	case "10K":
		return 10000
	case "100K":
		return 100000
	}
	return 0
}

// Check runs the pre-send check of a campaign as it stands.
func (s *Service) Check(ctx context.Context, orgID, campaignID int64) (Check, error) {
	var out Check
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		r, err := loadCampaign(tx, orgID, campaignID, false)
		if err != nil {
			return err
		}
		out, err = s.check(tx, r.model())
		return err
	})
	return out, err
}

func (s *Service) check(tx *gorm.DB, c Campaign) (Check, error) {
	out := Check{Skipped: map[SkipReason]int64{}, Currency: s.opt.Prices.Currency}
	warn := func(code, text string, blocking bool) {
		out.Warnings = append(out.Warnings, Warning{Code: code, Text: text, Blocking: blocking})
	}
	category := c.Category
	if c.TemplateID == 0 {
		warn("template_missing", "Choose a template.", true)
	} else {
		t, err := loadTemplate(tx, c.OrgID, c.TemplateID)
		switch {
		case errors.Is(err, ErrNotFound):
			warn("template_missing", "The template was deleted: choose another.", true)
		case err != nil:
			return out, err
		default:
			if category == "" || c.Status == StatusDraft || c.Status == StatusScheduled {
				category = strings.ToUpper(t.Category)
			}
			if !t.Approved() {
				warn("template_not_approved", fmt.Sprintf("The template “%s” is %s, not approved: WhatsApp will only send approved templates.", t.Name, strings.ToLower(orDash(t.Status))), true)
			}
			if fe := ValidateMapping(t.Template, c.Mapping); fe != nil {
				warn("mapping_incomplete", "Fill in every variable of the template.", true)
			}
		}
	}
	out.Category = category
	conn, err := loadConn(tx, c.OrgID)
	if err != nil {
		return out, err
	}
	switch {
	case conn == nil:
		warn("no_connection", "Connect a WhatsApp number first.", true)
	case conn.StoppedAt != nil:
		warn("connection_stopped", "WhatsApp refused this number's credentials: fix them in Settings before sending.", true)
	default:
		switch strings.ToUpper(conn.QualityRating) {
		case "YELLOW":
			warn("quality_yellow", "Your number's quality is medium (yellow): people have been blocking or reporting your messages. Send only to people who expect them.", false)
		case "RED":
			warn("quality_red", "Your number's quality is low (red): more blocks or reports may get it restricted. Consider sending to fewer, more engaged contacts.", false)
		}
		out.LimitTier = tierLimit(conn.MessagingLimitTier)
	}

	rules, err := loadRules(tx, c.OrgID, c.ID, category, s.clock.Now())
	if err != nil {
		return out, err
	}
	reason, rargs := rules.reasonSQL()
	where, wargs := c.Audience.predicate(c.OrgID)
	var rows []struct {
		Reason string
		Prefix string
		N      int64
	}
	q := `SELECT reason, prefix, count(*) AS n FROM (SELECT ` + reason + ` AS reason, left(c.phone_e164, 4) AS prefix
		FROM contacts c WHERE ` + where + `) a GROUP BY 1, 2`
	if err := tx.Raw(q, append(rargs, wargs...)...).Scan(&rows).Error; err != nil {
		return out, fmt.Errorf("campaign: check: %w", err)
	}
	var usMarketing int64
	for _, r := range rows {
		out.Audience += r.N
		if r.Reason == "" {
			out.WillReceive += r.N
			if strings.HasPrefix(r.Prefix, "+1") && strings.EqualFold(category, CategoryMarketing) {
				usMarketing += r.N
			}
			out.EstimatedCost += float64(r.N) * s.opt.Prices.Price(category, r.Prefix)
		} else {
			out.Skipped[SkipReason(r.Reason)] += r.N
		}
	}
	if out.Audience == 0 {
		warn("empty_audience", "Nobody matches this audience.", true)
	} else if out.WillReceive == 0 {
		warn("nobody_to_send", "Every contact of this audience is skipped: nobody would receive it.", true)
	}
	if usMarketing > 0 {
		warn("us_marketing", fmt.Sprintf("%d recipients have +1 (US) numbers: WhatsApp does not deliver marketing templates to US numbers, so those messages will fail.", usMarketing), false)
	}
	if out.LimitTier > 0 && out.WillReceive > out.LimitTier {
		warn("over_limit", fmt.Sprintf("Your number may message %d different people in 24 hours; this campaign has %d. Messages past the limit will fail, so consider splitting the audience.", out.LimitTier, out.WillReceive), false)
	}
	return out, nil
}

// Blocked reports whether a warning stops sending.
func (c Check) Blocked() bool {
	for _, w := range c.Warnings {
		if w.Blocking {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}
