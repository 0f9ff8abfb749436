package sandbox

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
)

// The control API under /_sandbox/ (JSON in, JSON out). Errors are
// {"error": "..."} with 400 (invalid), 404 (not found) or 409 (conflict).

func ctlError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	switch {
	case errors.Is(err, ErrNotFound):
		status = http.StatusNotFound
	case errors.Is(err, ErrConflict):
		status = http.StatusConflict
	}
	writeJSON(w, status, map[string]string{"error": err.Error()})
}

func readJSON(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return errors.Join(ErrInvalid, err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		return errors.Join(ErrInvalid, err)
	}
	return nil
}

// numberView is a Number without its secrets, for listings.
type numberView struct {
	Number
	Token       string `json:"token"`
	AppSecret   string `json:"app_secret"`
	VerifyToken string `json:"verify_token"`
}

func (s *Server) ctlNumbers(w http.ResponseWriter, _ *http.Request) {
	list := s.Numbers()
	out := make([]numberView, 0, len(list))
	for _, n := range list {
		out = append(out, numberView{Number: n, Token: mask(n.Token), AppSecret: mask(n.AppSecret), VerifyToken: mask(n.VerifyToken)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"data": out})
}

// ctlAddNumber registers a number; ?verify=1 also runs the GET handshake.
func (s *Server) ctlAddNumber(w http.ResponseWriter, r *http.Request) {
	var n Number
	if err := readJSON(r, &n); err != nil {
		ctlError(w, err)
		return
	}
	if err := s.AddNumber(n); err != nil {
		ctlError(w, err)
		return
	}
	if r.URL.Query().Get("verify") == "1" && n.CallbackURL != "" {
		if err := s.VerifyCallback(r.Context(), n.PhoneNumberID); err != nil {
			ctlError(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true, "phone_number_id": n.PhoneNumberID})
}

func (s *Server) ctlVerify(w http.ResponseWriter, r *http.Request) {
	if err := s.VerifyCallback(r.Context(), r.PathValue("pnid")); err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) ctlQuality(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Quality string `json:"quality"`
		Tier    string `json:"tier"`
	}
	if err := readJSON(r, &req); err != nil {
		ctlError(w, err)
		return
	}
	if err := s.SetQuality(r.PathValue("pnid"), req.Quality, req.Tier); err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) ctlInbound(w http.ResponseWriter, r *http.Request) {
	var in Inbound
	if err := readJSON(r, &in); err != nil {
		ctlError(w, err)
		return
	}
	id, err := s.InjectInbound(in)
	if err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"id": id})
}

func (s *Server) ctlOptOut(w http.ResponseWriter, r *http.Request) {
	var req struct {
		PhoneNumberID string `json:"phone_number_id"`
		User          string `json:"user"`
		OptedOut      *bool  `json:"opted_out"`
	}
	if err := readJSON(r, &req); err != nil {
		ctlError(w, err)
		return
	}
	out := req.OptedOut == nil || *req.OptedOut
	if err := s.SetOptOut(req.PhoneNumberID, req.User, out); err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) ctlTemplateStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		WABAID   string `json:"waba_id"`
		Name     string `json:"name"`
		Language string `json:"language"`
		Status   string `json:"status"`
	}
	if err := readJSON(r, &req); err != nil {
		ctlError(w, err)
		return
	}
	if err := s.SetTemplateStatus(req.WABAID, req.Name, req.Language, req.Status); err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

// ctlLedger pages through the ledger: ?phone_number_id=&since=&limit=
// (default 1000, at most 10000). Pass next_since back as since.
func (s *Server) ctlLedger(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	since, err := strconv.ParseInt(q.Get("since"), 10, 64)
	if q.Get("since") != "" && (err != nil || since < 0) {
		ctlError(w, errors.New("sandbox: since must be a sequence number"))
		return
	}
	limit := 1000
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 {
			ctlError(w, errors.New("sandbox: limit must be a positive integer"))
			return
		}
		limit = min(limit, 10000)
	}
	l := s.st.Load().ledger
	entries, next := l.read(q.Get("phone_number_id"), since, limit)
	if entries == nil {
		entries = []LedgerEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": entries, "next_since": next, "last_seq": l.last.Load()})
}

func (s *Server) ctlMessage(w http.ResponseWriter, r *http.Request) {
	st, err := s.MessageStatus(r.PathValue("wamid"))
	if err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) ctlConfig(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, viewOf(s.settings(), s.failNext.Load()))
}

func (s *Server) ctlConfigure(w http.ResponseWriter, r *http.Request) {
	var p ConfigPatch
	if err := readJSON(r, &p); err != nil {
		ctlError(w, err)
		return
	}
	if err := s.Configure(p.Apply); err != nil {
		ctlError(w, err)
		return
	}
	if p.FailWebhooks != nil {
		s.FailWebhooks(*p.FailWebhooks)
	}
	writeJSON(w, http.StatusOK, viewOf(s.settings(), s.failNext.Load()))
}

func (s *Server) ctlExpireToken(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Token string `json:"token"`
	}
	if err := readJSON(r, &req); err != nil {
		ctlError(w, err)
		return
	}
	if err := s.ExpireToken(req.Token); err != nil {
		ctlError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) ctlReset(w http.ResponseWriter, _ *http.Request) {
	s.Reset()
	writeJSON(w, http.StatusOK, map[string]bool{"success": true})
}

func (s *Server) ctlStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func (s *Server) ctlWebhooks(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"attempts": s.attempts.recent()})
}
