package sandbox

import (
	"net/http"
)

// GET/POST/DELETE /{ver}/{id}: the object kind is found from the id, within
// what the caller's token can see, as Graph does.

var phoneFields = []string{"id", "display_phone_number", "verified_name", "quality_rating",
	"messaging_limit_tier", "whatsapp_business_manager_messaging_limit", "throughput", "status",
	"code_verification_status", "name_status", "platform_type", "account_mode",
	"is_official_business_account", "quality_score"}

var defaultPhoneFields = []string{"verified_name", "code_verification_status", "display_phone_number",
	"quality_rating", "platform_type", "throughput", "id"}

func (s *Server) phoneJSON(n *number, fields []string) map[string]any {
	snap := n.snap.Load()
	perSec := s.settings().ThroughputPerSec
	if snap.ThroughputPerSec > 0 {
		perSec = snap.ThroughputPerSec
	}
	level := "STANDARD"
	if perSec == 0 || perSec >= MaxThroughput {
		level = "HIGH"
	}
	out := map[string]any{"id": n.pnid}
	for _, f := range fields {
		switch f {
		case "display_phone_number":
			out[f] = snap.DisplayPhoneNumber
		case "verified_name":
			out[f] = snap.VerifiedName
		case "quality_rating":
			out[f] = snap.Quality
		case "quality_score":
			out[f] = map[string]string{"score": snap.Quality}
		case "messaging_limit_tier", "whatsapp_business_manager_messaging_limit":
			out[f] = snap.Tier
		case "throughput":
			out[f] = map[string]string{"level": level}
		case "status":
			out[f] = "CONNECTED"
		case "code_verification_status":
			out[f] = "VERIFIED"
		case "name_status":
			out[f] = "APPROVED"
		case "platform_type":
			out[f] = "CLOUD_API"
		case "account_mode":
			out[f] = "LIVE"
		case "is_official_business_account":
			out[f] = false
		}
	}
	return out
}

func (s *Server) handleObjectGet(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	id := r.PathValue("id")
	if n := c.numberFor(id); n != nil {
		fields, e := parseFields(r, phoneFields, defaultPhoneFields, "WhatsAppBusinessPhoneNumber")
		if e != nil {
			s.reject(w, e)
			return
		}
		writeJSON(w, http.StatusOK, s.phoneJSON(n, fields))
		return
	}
	if wb := c.wabaFor(id); wb != nil {
		writeJSON(w, http.StatusOK, map[string]any{"id": wb.id, "name": "Sandbox WABA " + wb.id,
			"currency": "USD", "timezone_id": "1", "message_template_namespace": "sandbox_" + wb.id})
		return
	}
	if _, t := c.templateFor(id); t != nil {
		fields, e := parseFields(r, templateFields, defaultTemplateFields, "WhatsAppBusinessHSM")
		if e != nil {
			s.reject(w, e)
			return
		}
		writeJSON(w, http.StatusOK, templateJSON(t, fields))
		return
	}
	if m := s.st.Load().media.get(id); m != nil && c.tok.wabas[m.wabaID] {
		s.mediaInfo(w, r, m)
		return
	}
	s.reject(w, noObject("get", id))
}

func (s *Server) handleObjectPost(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	if wb, t := c.templateFor(r.PathValue("id")); t != nil {
		s.templateEdit(w, r, wb, t)
		return
	}
	s.reject(w, noObject("post", r.PathValue("id")))
}

func (s *Server) handleObjectDelete(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	id := r.PathValue("id")
	st := s.st.Load()
	if m := st.media.get(id); m != nil && c.tok.wabas[m.wabaID] {
		st.media.remove(id)
		writeSuccess(w)
		return
	}
	s.reject(w, noObject("delete", id))
}

func (s *Server) handlePhoneNumberList(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	wb := c.wabaFor(r.PathValue("id"))
	if wb == nil {
		s.reject(w, noObject("get", r.PathValue("id")))
		return
	}
	fields, e := parseFields(r, phoneFields, defaultPhoneFields, "WhatsAppBusinessPhoneNumber")
	if e != nil {
		s.reject(w, e)
		return
	}
	data := []map[string]any{}
	for _, n := range s.Numbers() {
		if num := c.reg.numbers[n.PhoneNumberID]; num != nil && num.waba == wb {
			data = append(data, s.phoneJSON(num, fields))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": data})
}
