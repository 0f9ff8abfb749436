package campaign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"

	"tidings/internal/audit"
	"tidings/internal/contact"
)

// Sending settings (org_send_settings, one row per org created on the
// first save, and wa_connections.send_rate): the frequency cap, the org's
// own opt-out and opt-in words, quick-reply payloads that mean "stop",
// the confirmation texts, the error rate that pauses a campaign, and the
// pace of the connected number.

// Defaults of org_send_settings and wa_connections.send_rate
// (migrations/00007), shown to orgs that never saved their settings.
const (
	DefaultCapCount            = 2
	DefaultCapDays             = 7
	DefaultOptOutConfirmation  = "You will no longer receive messages from us. Reply START to subscribe again."
	DefaultOptInConfirmation   = "You are subscribed again. Reply STOP to unsubscribe."
	DefaultPauseErrorRate      = 0.2
	DefaultSendRate            = 80
	MaxSendRate                = 1000
	maxCapCount, maxCapDays    = 50, 90
	maxKeywordLen, maxPayload  = 30, 256
	maxConfirmation            = 1024
	maxKeywords, maxPayloadNum = 50, 50
)

// SendSettings are an org's sending settings as stored (or the defaults).
type SendSettings struct {
	CapCount, CapDays  int
	OptOutKeywords     []string
	OptInKeywords      []string
	OptOutPayloads     []string
	OptOutConfirmation string
	OptInConfirmation  string
	PauseErrorRate     float64 // 0.01–1.0
	Connected          bool    // a WhatsApp number is connected
	SendRate           int     // its messages per second (when Connected)
	Saved              bool    // a row exists
}

// SendSettingsInput is the settings form as typed: lists are comma or
// line separated, the error threshold is a percentage.
type SendSettingsInput struct {
	CapCount, CapDays                     string
	OptOutKeywords, OptInKeywords         string
	OptOutPayloads                        string
	OptOutConfirmation, OptInConfirmation string
	PauseErrorPercent                     string
	SendRate                              string
}

type sendSettingsRow struct {
	OrgID              int64
	CapCount           int
	CapDays            int
	OptoutKeywords     string // JSON arrays (array_to_json)
	OptinKeywords      string
	OptoutPayloads     string
	OptoutConfirmation string
	OptinConfirmation  string
	PauseErrorRate     float64
}

// SendSettings loads the org's sending settings, the defaults when it
// never saved them.
func (s *Service) SendSettings(ctx context.Context, orgID, userID int64) (SendSettings, error) {
	var out SendSettings
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		var err error
		out, err = loadSendSettings(tx, orgID)
		return err
	})
	if err != nil {
		return SendSettings{}, fmt.Errorf("campaign: send settings: %w", err)
	}
	return out, nil
}

func loadSendSettings(tx *gorm.DB, orgID int64) (SendSettings, error) {
	out := SendSettings{CapCount: DefaultCapCount, CapDays: DefaultCapDays,
		OptOutConfirmation: DefaultOptOutConfirmation, OptInConfirmation: DefaultOptInConfirmation,
		PauseErrorRate: DefaultPauseErrorRate, SendRate: DefaultSendRate}
	var row sendSettingsRow
	err := tx.Raw(`SELECT org_id, cap_count, cap_days, array_to_json(optout_keywords)::text AS optout_keywords,
		array_to_json(optin_keywords)::text AS optin_keywords, array_to_json(optout_payloads)::text AS optout_payloads,
		optout_confirmation, optin_confirmation, pause_error_rate FROM org_send_settings WHERE org_id = ?`, orgID).Take(&row).Error
	switch {
	case errors.Is(err, gorm.ErrRecordNotFound):
	case err != nil:
		return out, err
	default:
		out.Saved = true
		out.CapCount, out.CapDays = row.CapCount, row.CapDays
		for _, l := range []struct {
			src string
			dst *[]string
		}{{row.OptoutKeywords, &out.OptOutKeywords}, {row.OptinKeywords, &out.OptInKeywords}, {row.OptoutPayloads, &out.OptOutPayloads}} {
			if err := json.Unmarshal([]byte(l.src), l.dst); err != nil {
				return out, err
			}
		}
		out.OptOutConfirmation, out.OptInConfirmation = row.OptoutConfirmation, row.OptinConfirmation
		// real is float32: round so 0.2 shows as 20 %, not 20.000000298 %.
		out.PauseErrorRate = math.Round(row.PauseErrorRate*10000) / 10000
	}
	var rates []int
	if err := tx.Raw(`SELECT send_rate FROM wa_connections WHERE org_id = ?`, orgID).Scan(&rates).Error; err != nil {
		return out, err
	}
	if len(rates) > 0 {
		out.Connected, out.SendRate = true, rates[0]
	}
	return out, nil
}

// SaveSendSettings validates and stores the org's sending settings; bad
// input is a FieldErrors and stores nothing. The send rate is stored only
// when a number is connected.
func (s *Service) SaveSendSettings(ctx context.Context, orgID, userID int64, in SendSettingsInput) (SendSettings, error) {
	var out SendSettings
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		cur, err := loadSendSettings(tx, orgID)
		if err != nil {
			return err
		}
		v, fe := in.validate(cur.Connected)
		if fe != nil {
			return fe
		}
		if err := tx.Exec(`INSERT INTO org_send_settings (org_id, cap_count, cap_days, optout_keywords, optin_keywords,
				optout_payloads, optout_confirmation, optin_confirmation, pause_error_rate, updated_at)
			VALUES (?, ?, ?, ARRAY(SELECT jsonb_array_elements_text(?::jsonb)), ARRAY(SELECT jsonb_array_elements_text(?::jsonb)),
				ARRAY(SELECT jsonb_array_elements_text(?::jsonb)), ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET cap_count = EXCLUDED.cap_count, cap_days = EXCLUDED.cap_days,
				optout_keywords = EXCLUDED.optout_keywords, optin_keywords = EXCLUDED.optin_keywords,
				optout_payloads = EXCLUDED.optout_payloads, optout_confirmation = EXCLUDED.optout_confirmation,
				optin_confirmation = EXCLUDED.optin_confirmation, pause_error_rate = EXCLUDED.pause_error_rate,
				updated_at = EXCLUDED.updated_at`,
			orgID, v.CapCount, v.CapDays, jsonList(v.OptOutKeywords), jsonList(v.OptInKeywords),
			jsonList(v.OptOutPayloads), v.OptOutConfirmation, v.OptInConfirmation, v.PauseErrorRate, s.clock.Now()).Error; err != nil {
			return err
		}
		if cur.Connected {
			if err := tx.Exec(`UPDATE wa_connections SET send_rate = ? WHERE org_id = ?`, v.SendRate, orgID).Error; err != nil {
				return err
			}
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "settings.sending.update",
			Target: "org:" + strconv.FormatInt(orgID, 10), At: s.clock.Now(),
			Detail: map[string]any{"cap_count": v.CapCount, "cap_days": v.CapDays, "pause_error_rate": v.PauseErrorRate,
				"send_rate": v.SendRate, "optout_keywords": len(v.OptOutKeywords), "optin_keywords": len(v.OptInKeywords),
				"optout_payloads": len(v.OptOutPayloads)}}); err != nil {
			return err
		}
		out, err = loadSendSettings(tx, orgID)
		return err
	})
	var fe FieldErrors
	if errors.As(err, &fe) {
		return SendSettings{}, fe
	}
	if err != nil {
		return SendSettings{}, fmt.Errorf("campaign: save send settings: %w", err)
	}
	return out, nil
}

func (in SendSettingsInput) validate(connected bool) (SendSettings, FieldErrors) {
	fe := FieldErrors{}
	var v SendSettings
	var ok bool
	if v.CapCount, ok = intIn(in.CapCount, 0, maxCapCount); !ok {
		fe["cap_count"] = "Enter a number of messages from 0 to 50 (0 means no cap)."
	}
	if v.CapDays, ok = intIn(in.CapDays, 1, maxCapDays); !ok {
		fe["cap_days"] = "Enter a number of days from 1 to 90."
	}
	v.OptOutKeywords = keywords(in.OptOutKeywords, contact.OptOutWords, "optout_keywords", fe)
	v.OptInKeywords = keywords(in.OptInKeywords, contact.OptInWords, "optin_keywords", fe)
	if _, dup := fe["optin_keywords"]; !dup {
		for _, k := range v.OptInKeywords {
			n := contact.NormalizeKeyword(k)
			if slices.Contains(contact.OptOutWords, n) || slices.ContainsFunc(v.OptOutKeywords, func(o string) bool { return contact.NormalizeKeyword(o) == n }) {
				fe["optin_keywords"] = fmt.Sprintf("“%s” is also an opt-out word; a word can only mean one thing.", k)
				break
			}
		}
	}
	for _, p := range splitList(in.OptOutPayloads) {
		switch {
		case utf8.RuneCountInString(p) > maxPayload:
			fe["optout_payloads"] = "Each payload can have at most 256 characters."
		case slices.Contains(v.OptOutPayloads, p):
			fe["optout_payloads"] = fmt.Sprintf("“%s” is listed twice.", p)
		default:
			v.OptOutPayloads = append(v.OptOutPayloads, p)
		}
	}
	if len(v.OptOutPayloads) > maxPayloadNum {
		fe["optout_payloads"] = "List at most 50 payloads."
	}
	v.OptOutConfirmation = strings.TrimSpace(in.OptOutConfirmation)
	if n := utf8.RuneCountInString(v.OptOutConfirmation); n < 1 || n > maxConfirmation {
		fe["optout_confirmation"] = "Write the confirmation sent after an opt-out (1 to 1,024 characters)."
	}
	v.OptInConfirmation = strings.TrimSpace(in.OptInConfirmation)
	if n := utf8.RuneCountInString(v.OptInConfirmation); n < 1 || n > maxConfirmation {
		fe["optin_confirmation"] = "Write the confirmation sent after an opt-in (1 to 1,024 characters)."
	}
	pct, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(in.PauseErrorPercent), "%"), 64)
	if err != nil || math.IsNaN(pct) || pct < 1 || pct > 100 {
		fe["pause_error_percent"] = "Enter a percentage from 1 to 100."
	} else {
		v.PauseErrorRate = math.Round(pct*100) / 10000
	}
	if connected {
		if v.SendRate, ok = intIn(in.SendRate, 1, MaxSendRate); !ok {
			fe["send_rate"] = "Enter 1 to 1,000 messages a second. Meta allows 80 by default; up to 1,000 only after Meta upgrades your number."
		}
	}
	if len(fe) > 0 {
		return v, fe
	}
	return v, nil
}

func intIn(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	return n, err == nil && n >= lo && n <= hi
}

// splitList splits on commas and line breaks, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// keywords checks a list of words: 1–30 characters, something left after
// normalising, no duplicates (as compared with replies) and none of the
// built-in words.
func keywords(s string, builtin []string, field string, fe FieldErrors) []string {
	var out, seen []string
	for _, k := range splitList(s) {
		n := contact.NormalizeKeyword(k)
		switch {
		case utf8.RuneCountInString(k) > maxKeywordLen:
			fe[field] = fmt.Sprintf("“%s” is too long: each word can have at most 30 characters.", k)
		case len(k) > 64:
			// Normalize ignores replies longer than this many bytes, so
			// such a word (30 characters of some scripts) would never match.
			fe[field] = fmt.Sprintf("“%s” is too long to be recognised in a reply; use a shorter word.", k)
		case n == "":
			fe[field] = fmt.Sprintf("“%s” has no letters or digits.", k)
		case slices.Contains(builtin, n):
			fe[field] = fmt.Sprintf("“%s” is a built-in word already; no need to add it.", k)
		case slices.Contains(seen, n):
			fe[field] = fmt.Sprintf("“%s” is listed twice (case and accents do not count).", k)
		default:
			out, seen = append(out, k), append(seen, n)
		}
	}
	if len(out) > maxKeywords {
		fe[field] = "List at most 50 words."
	}
	return out
}

func jsonList(l []string) string {
	if l == nil {
		return "[]"
	}
	b, _ := json.Marshal(l)
	return string(b)
}
