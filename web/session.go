package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/gorilla/sessions"

	"tidings/internal/account"
)

// sessionCookie names the session cookie; the __Host- prefix (over TLS)
// pins it to our host and path, so a sibling subdomain cannot plant one.
func sessionCookie(secure bool) string {
	if secure {
		return "__Host-tidings_session"
	}
	return "tidings_session"
}

// Keys of our values inside a gorilla session.
const (
	keyUserID = "uid"
	keyOrgID  = "org"
)

// pgStore is a gorilla/sessions Store that keeps data in PostgreSQL
// (through the account service) and only a random token in the cookie, so
// sessions can be listed and revoked server-side.
type pgStore struct {
	acc     *account.Service
	options sessions.Options
	name    string
	meta    func(*http.Request) account.Meta
}

func newPGStore(acc *account.Service, secure bool, maxAge int, meta func(*http.Request) account.Meta) *pgStore {
	return &pgStore{acc: acc, name: sessionCookie(secure), meta: meta, options: sessions.Options{
		Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: secure, SameSite: http.SameSiteLaxMode,
	}}
}

// Get returns the request's session, cached per request by gorilla.
func (s *pgStore) Get(r *http.Request, name string) (*sessions.Session, error) {
	return sessions.GetRegistry(r).Get(s, name)
}

// New loads the session behind the cookie, or starts an empty one. An
// invalid, revoked or expired cookie silently becomes a new session.
func (s *pgStore) New(r *http.Request, name string) (*sessions.Session, error) {
	sess := sessions.NewSession(s, name)
	opts := s.options
	sess.Options = &opts
	sess.IsNew = true
	ck, err := r.Cookie(name)
	if err != nil || ck.Value == "" {
		return sess, nil
	}
	row, err := s.acc.LoadSession(r.Context(), ck.Value)
	if errors.Is(err, account.ErrSessionInvalid) {
		return sess, nil
	}
	if err != nil {
		return sess, err
	}
	if err := decodeValues(row.Data, sess.Values); err != nil {
		return sess, err
	}
	if row.UserID != nil {
		sess.Values[keyUserID] = *row.UserID
	} else {
		delete(sess.Values, keyUserID)
	}
	sess.ID = strconv.FormatInt(row.ID, 10)
	sess.IsNew = false
	return sess, nil
}

// Save writes the session: a negative MaxAge ends it, an empty ID creates a
// new row and cookie (login renews this way), otherwise the data is updated.
func (s *pgStore) Save(r *http.Request, w http.ResponseWriter, sess *sessions.Session) error {
	if sess.Options.MaxAge < 0 {
		if id, err := strconv.ParseInt(sess.ID, 10, 64); err == nil {
			if err := s.acc.EndSession(r.Context(), id); err != nil {
				return err
			}
		}
		http.SetCookie(w, sessions.NewCookie(sess.Name(), "", sess.Options))
		return nil
	}
	data, err := encodeValues(sess.Values)
	if err != nil {
		return err
	}
	if sess.ID == "" {
		uid, _ := int64Value(sess.Values[keyUserID])
		token, row, err := s.acc.CreateSession(r.Context(), uid, data, s.meta(r))
		if err != nil {
			return err
		}
		sess.ID = strconv.FormatInt(row.ID, 10)
		http.SetCookie(w, sessions.NewCookie(sess.Name(), token, sess.Options))
		return nil
	}
	id, err := strconv.ParseInt(sess.ID, 10, 64)
	if err != nil {
		return fmt.Errorf("web: session id %q: %w", sess.ID, err)
	}
	return s.acc.SaveSessionData(r.Context(), id, data)
}

// encodeValues keeps the string-keyed values; the user id lives in its own
// column, not in the data.
func encodeValues(v map[any]any) ([]byte, error) {
	m := make(map[string]any, len(v))
	for k, val := range v {
		if ks, ok := k.(string); ok && ks != keyUserID {
			m[ks] = val
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("web: encode session: %w", err)
	}
	return b, nil
}

func decodeValues(data []byte, into map[any]any) error {
	if len(data) == 0 {
		return nil
	}
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(&m); err != nil {
		return fmt.Errorf("web: decode session: %w", err)
	}
	for k, v := range m {
		into[k] = v
	}
	return nil
}

// int64Value reads an id stored in a session, whatever JSON made of it.
func int64Value(v any) (int64, bool) {
	switch n := v.(type) {
	case int64:
		return n, true
	case int:
		return int64(n), true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}
