package campaign

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func goodSendInput() SendSettingsInput {
	return SendSettingsInput{CapCount: "3", CapDays: "14", OptOutKeywords: "Désabonner, no more\nCANCELAR",
		OptInKeywords: "Réabonner", OptOutPayloads: "STOP_PROMOS\nNO_THANKS", OptOutConfirmation: " Bye from Bakery. ",
		OptInConfirmation: "Welcome back.", PauseErrorPercent: "5", SendRate: "200"}
}

func TestSendSettingsDefaultsAndSave(t *testing.T) {
	e := setup(t, Options{})
	got, err := e.svc.SendSettings(e.ctx, e.orgA, e.user)
	if err != nil {
		t.Fatal(err)
	}
	if got.Saved || got.CapCount != 2 || got.CapDays != 7 || got.PauseErrorRate != 0.2 || got.SendRate != 80 || !got.Connected ||
		got.OptOutConfirmation != DefaultOptOutConfirmation || got.OptInConfirmation != DefaultOptInConfirmation {
		t.Fatalf("defaults: %+v", got)
	}
	saved, err := e.svc.SaveSendSettings(e.ctx, e.orgA, e.user, goodSendInput())
	if err != nil {
		t.Fatal(err)
	}
	want := SendSettings{CapCount: 3, CapDays: 14, OptOutKeywords: []string{"Désabonner", "no more", "CANCELAR"},
		OptInKeywords: []string{"Réabonner"}, OptOutPayloads: []string{"STOP_PROMOS", "NO_THANKS"},
		OptOutConfirmation: "Bye from Bakery.", OptInConfirmation: "Welcome back.", PauseErrorRate: 0.05,
		Connected: true, SendRate: 200, Saved: true}
	if !reflect.DeepEqual(saved, want) {
		t.Fatalf("saved\n got %+v\nwant %+v", saved, want)
	}
	if again, _ := e.svc.SendSettings(e.ctx, e.orgA, e.user); !reflect.DeepEqual(again, want) {
		t.Errorf("reloaded %+v", again)
	}
	// The cap reader (check.go) sees the saved cap.
	var capCount, capDays int
	e.must(e.ops.Gorm.Raw(`SELECT cap_count, cap_days FROM org_send_settings WHERE org_id = ?`, e.orgA).Row().Scan(&capCount, &capDays))
	if capCount != 3 || capDays != 14 {
		t.Errorf("stored cap %d/%d", capCount, capDays)
	}
	var audits int
	e.must(e.ops.Gorm.Raw(`SELECT count(*) FROM audit_log WHERE org_id = ? AND action = 'settings.sending.update'`, e.orgA).Scan(&audits).Error)
	if audits != 1 {
		t.Errorf("%d audit entries", audits)
	}
	// Org B is untouched; empty lists save as empty.
	if b, _ := e.svc.SendSettings(e.ctx, e.orgB, e.user); b.Saved || b.SendRate != 80 {
		t.Errorf("org B: %+v", b)
	}
	in := goodSendInput()
	in.OptOutKeywords, in.OptInKeywords, in.OptOutPayloads, in.CapCount = "", " ,\n", "", "0"
	saved, err = e.svc.SaveSendSettings(e.ctx, e.orgA, e.user, in)
	if err != nil || len(saved.OptOutKeywords)+len(saved.OptInKeywords)+len(saved.OptOutPayloads) != 0 || saved.CapCount != 0 {
		t.Fatalf("cleared: %+v %v", saved, err)
	}
}

func TestSendSettingsValidation(t *testing.T) {
	e := setup(t, Options{})
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name, field, msg string
		edit             func(*SendSettingsInput)
	}{
		{"cap count negative", "cap_count", "0 to 50", func(in *SendSettingsInput) { in.CapCount = "-1" }},
		{"cap count too high", "cap_count", "0 to 50", func(in *SendSettingsInput) { in.CapCount = "51" }},
		{"cap count not a number", "cap_count", "0 to 50", func(in *SendSettingsInput) { in.CapCount = "two" }},
		{"cap days zero", "cap_days", "1 to 90", func(in *SendSettingsInput) { in.CapDays = "0" }},
		{"cap days too high", "cap_days", "1 to 90", func(in *SendSettingsInput) { in.CapDays = "91" }},
		{"keyword too long", "optout_keywords", "at most 30 characters", func(in *SendSettingsInput) { in.OptOutKeywords = long(31) }},
		{"keyword too many bytes", "optout_keywords", "too long to be recognised", func(in *SendSettingsInput) { in.OptOutKeywords = strings.Repeat("停", 22) }},
		{"keyword duplicate", "optout_keywords", "listed twice", func(in *SendSettingsInput) { in.OptOutKeywords = "Désabonner, DESABONNER" }},
		{"keyword built in", "optout_keywords", "built-in word", func(in *SendSettingsInput) { in.OptOutKeywords = "arrêt" }},
		{"keyword punctuation only", "optout_keywords", "no letters", func(in *SendSettingsInput) { in.OptOutKeywords = "!!" }},
		{"opt-in built in", "optin_keywords", "built-in word", func(in *SendSettingsInput) { in.OptInKeywords = "start" }},
		{"opt-in is an opt-out word", "optin_keywords", "also an opt-out word", func(in *SendSettingsInput) { in.OptInKeywords = "no more" }},
		{"opt-in is a built-in opt-out word", "optin_keywords", "also an opt-out word", func(in *SendSettingsInput) { in.OptInKeywords = "Stop" }},
		{"payload too long", "optout_payloads", "256 characters", func(in *SendSettingsInput) { in.OptOutPayloads = long(257) }},
		{"payload duplicate", "optout_payloads", "listed twice", func(in *SendSettingsInput) { in.OptOutPayloads = "A\nA" }},
		{"opt-out confirmation empty", "optout_confirmation", "1 to 1,024", func(in *SendSettingsInput) { in.OptOutConfirmation = "  " }},
		{"opt-out confirmation too long", "optout_confirmation", "1 to 1,024", func(in *SendSettingsInput) { in.OptOutConfirmation = long(1025) }},
		{"opt-in confirmation empty", "optin_confirmation", "1 to 1,024", func(in *SendSettingsInput) { in.OptInConfirmation = "" }},
		{"error rate zero", "pause_error_percent", "1 to 100", func(in *SendSettingsInput) { in.PauseErrorPercent = "0" }},
		{"error rate too high", "pause_error_percent", "1 to 100", func(in *SendSettingsInput) { in.PauseErrorPercent = "101" }},
		{"error rate not a number", "pause_error_percent", "1 to 100", func(in *SendSettingsInput) { in.PauseErrorPercent = "NaN" }},
		{"send rate zero", "send_rate", "80 by default", func(in *SendSettingsInput) { in.SendRate = "0" }},
		{"send rate too high", "send_rate", "Meta upgrades", func(in *SendSettingsInput) { in.SendRate = "1001" }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := goodSendInput()
			c.edit(&in)
			_, err := e.svc.SaveSendSettings(e.ctx, e.orgA, e.user, in)
			var fe FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("want field errors, got %v", err)
			}
			if !strings.Contains(fe[c.field], c.msg) || len(fe) != 1 {
				t.Errorf("errors %q, want %s: …%s…", fe, c.field, c.msg)
			}
			if got, _ := e.svc.SendSettings(e.ctx, e.orgA, e.user); got.Saved || got.SendRate != 80 {
				t.Errorf("refused input was stored: %+v", got)
			}
		})
	}
	// Without a number, the send rate is neither asked for nor stored.
	e.exec(`DELETE FROM wa_templates WHERE org_id = ?`, e.orgB)
	e.exec(`DELETE FROM wa_connections WHERE org_id = ?`, e.orgB)
	in := goodSendInput()
	in.SendRate = ""
	if got, err := e.svc.SaveSendSettings(e.ctx, e.orgB, e.user, in); err != nil || got.Connected || !got.Saved {
		t.Errorf("without a number: %+v %v", got, err)
	}
}

// The cap saved on the settings page is the one the campaign check uses.
func TestSendSettingsCapHonoured(t *testing.T) {
	e := setup(t, Options{})
	s := e.seed()
	c := e.draft(s)
	in := goodSendInput()
	in.CapCount, in.CapDays = "1", "14"
	_, err := e.svc.SaveSendSettings(e.ctx, e.orgA, e.user, in)
	e.must(err)
	got, err := e.svc.Check(e.ctx, e.orgA, c.ID)
	e.must(err)
	if got.Skipped[SkipFrequencyCap] != 3 {
		t.Errorf("cap 1/14d: skipped %v", got.Skipped)
	}
	in.CapCount = "0"
	_, err = e.svc.SaveSendSettings(e.ctx, e.orgA, e.user, in)
	e.must(err)
	got, _ = e.svc.Check(e.ctx, e.orgA, c.ID)
	if got.Skipped[SkipFrequencyCap] != 0 {
		t.Errorf("no cap: skipped %v", got.Skipped)
	}
}
