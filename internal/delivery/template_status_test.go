package delivery

import (
	"encoding/json"
	"testing"
)

func (e *replyEnv) templateStatus(id, name, lang, event string) {
	e.t.Helper()
	b, _ := json.Marshal(map[string]any{"object": "whatsapp_business_account", "entry": []any{map[string]any{
		"id": "1", "time": 1751247548, "changes": []any{map[string]any{"field": "message_template_status_update",
			"value": map[string]any{"event": event, "message_template_id": json.Number(id), "message_template_name": name,
				"message_template_language": lang, "reason": "NONE", "message_template_category": "UTILITY"}}},
	}}})
	e.deliver(b)
}

// Status webhooks find a template by Meta's id, or by name and language
// when Meta re-created it under a new id; REINSTATED is approved again;
// another org's template of the same name is untouched.
func TestTemplateStatusWebhook(t *testing.T) {
	e := setupReplies(t)
	for _, org := range []int64{e.orgA, e.orgB} {
		e.exec(`INSERT INTO wa_templates (org_id, connection_id, meta_id, name, language, status) VALUES ($1, 1, $2, 'order_ready', 'en_GB', 'PENDING')`,
			org, "1111"+string(rune('0'+org)))
	}
	status := func(org int64) (s, meta string) {
		e.scan(&s, `SELECT status FROM wa_templates WHERE org_id = $1`, org)
		e.scan(&meta, `SELECT meta_id FROM wa_templates WHERE org_id = $1`, org)
		return
	}
	e.templateStatus("1111"+string(rune('0'+e.orgA)), "order_ready", "en_GB", "APPROVED")
	if s, _ := status(e.orgA); s != "APPROVED" {
		t.Fatalf("by id: %s", s)
	}
	e.templateStatus("2222", "order_ready", "en_GB", "PAUSED")
	if s, meta := status(e.orgA); s != "PAUSED" || meta != "2222" {
		t.Fatalf("by name and language: %s %s", s, meta)
	}
	e.templateStatus("2222", "order_ready", "en_GB", "REINSTATED")
	if s, _ := status(e.orgA); s != "APPROVED" {
		t.Errorf("reinstated: %s", s)
	}
	e.templateStatus("3333", "other_one", "en_GB", "APPROVED")
	if s, meta := status(e.orgB); s != "PENDING" || meta == "2222" {
		t.Errorf("org B's template: %s %s", s, meta)
	}
}
