package sandbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Errors returned by the Go API (the control API maps them to 404/409/400).
var (
	ErrNotFound = errors.New("sandbox: not found")
	ErrConflict = errors.New("sandbox: conflict")
	ErrInvalid  = errors.New("sandbox: invalid")
)

// Number is one business phone number and the app that receives its
// webhooks. A WABA is created the first time one of its numbers is added,
// and seeded with a few approved templates.
type Number struct {
	WABAID             string `json:"waba_id"`
	PhoneNumberID      string `json:"phone_number_id"`
	DisplayPhoneNumber string `json:"display_phone_number"` // e.g. "+1 555-010-0001"
	VerifiedName       string `json:"verified_name"`
	// Token is the access token allowed to use this number's WABA.
	Token string `json:"token"`
	// AppSecret signs this number's webhooks (X-Hub-Signature-256).
	AppSecret string `json:"app_secret"`
	// CallbackURL receives webhooks; empty = none are sent.
	CallbackURL string `json:"callback_url"`
	VerifyToken string `json:"verify_token"`
	// Quality is GREEN (default), YELLOW, RED or UNKNOWN.
	Quality string `json:"quality"`
	// Tier is the messaging limit: TIER_250, TIER_2K (default), TIER_10K,
	// TIER_100K or TIER_UNLIMITED.
	Tier string `json:"tier"`
	// ThroughputPerSec overrides Config.ThroughputPerSec for this number
	// (0 = use it).
	ThroughputPerSec int `json:"throughput_per_sec"`
}

var (
	numericIDRE = regexp.MustCompile(`^[0-9]{1,20}$`)
	qualities   = []string{"GREEN", "YELLOW", "RED", "UNKNOWN", "NA"}
	tiers       = []string{"TIER_50", "TIER_250", "TIER_1K", "TIER_2K", "TIER_10K", "TIER_100K", "TIER_UNLIMITED"}
)

func (n *Number) normalise() error {
	n.Quality = strings.ToUpper(n.Quality)
	n.Tier = strings.ToUpper(n.Tier)
	if n.Quality == "" {
		n.Quality = "GREEN"
	}
	if n.Tier == "" {
		n.Tier = "TIER_2K"
	}
	if n.VerifiedName == "" {
		n.VerifiedName = "Sandbox Business"
	}
	var errs []error
	bad := func(f string, a ...any) {
		errs = append(errs, fmt.Errorf("%w: "+f, append([]any{ErrInvalid}, a...)...))
	}
	if !numericIDRE.MatchString(n.WABAID) {
		bad("waba_id must be a numeric string")
	}
	if !numericIDRE.MatchString(n.PhoneNumberID) {
		bad("phone_number_id must be a numeric string")
	}
	if _, ok := digitsOf(n.DisplayPhoneNumber); !ok {
		bad("display_phone_number is not a phone number")
	}
	if n.Token == "" {
		bad("token is required")
	}
	if n.CallbackURL != "" {
		if u, err := url.Parse(n.CallbackURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("callback_url must be an http(s) URL")
		}
		if n.AppSecret == "" {
			bad("app_secret is required with a callback_url (webhooks are always signed)")
		}
	}
	if !slices.Contains(qualities, n.Quality) {
		bad("quality must be one of %v", qualities)
	}
	if !slices.Contains(tiers, n.Tier) {
		bad("tier must be one of %v", tiers)
	}
	if n.ThroughputPerSec < 0 || n.ThroughputPerSec > MaxThroughput {
		bad("throughput_per_sec must be in 0..%d", MaxThroughput)
	}
	return errors.Join(errs...)
}

// number is a registered number; its settings are an immutable snapshot
// swapped atomically, and it owns its throughput bucket.
type number struct {
	pnid string
	waba *waba
	snap atomic.Pointer[numberSnap]
	tp   throughput
}

type numberSnap struct {
	Number
	digits string // of the display number, as in webhook metadata
}

type waba struct {
	id        string
	templates templateStore
}

type tokenInfo struct {
	wabas   map[string]bool
	expired bool
}

// registry is replaced whole on every change; readers load it atomically.
type registry struct {
	numbers map[string]*number
	wabas   map[string]*waba
	tokens  map[string]*tokenInfo
}

func (r *registry) clone() *registry {
	return &registry{numbers: maps.Clone(r.numbers), wabas: maps.Clone(r.wabas), tokens: maps.Clone(r.tokens)}
}

// AddNumber registers a number, or updates it when its id is known (the
// throughput bucket and the WABA's templates are kept). A number cannot move
// to another WABA.
func (s *Server) AddNumber(n Number) error {
	if err := n.normalise(); err != nil {
		return err
	}
	s.regMu.Lock()
	defer s.regMu.Unlock()
	reg := s.reg.Load().clone()
	if old := reg.numbers[n.PhoneNumberID]; old != nil && old.waba.id != n.WABAID {
		return fmt.Errorf("%w: phone number %s belongs to another WABA", ErrConflict, mask(n.PhoneNumberID))
	}
	w := reg.wabas[n.WABAID]
	if w == nil {
		w = &waba{id: n.WABAID}
		seed := seedTemplates(s.ids, s.now())
		_ = w.templates.update(func([]*msgTemplate) ([]*msgTemplate, error) { return seed, nil })
		reg.wabas[n.WABAID] = w
	}
	num := reg.numbers[n.PhoneNumberID]
	if num == nil {
		num = &number{pnid: n.PhoneNumberID, waba: w}
		reg.numbers[n.PhoneNumberID] = num
	}
	num.snap.Store(&numberSnap{Number: n, digits: onlyDigits(n.DisplayPhoneNumber)})
	ti := &tokenInfo{wabas: map[string]bool{n.WABAID: true}}
	if old := reg.tokens[n.Token]; old != nil {
		ti.wabas = maps.Clone(old.wabas)
		ti.wabas[n.WABAID] = true
		ti.expired = old.expired
	}
	reg.tokens[n.Token] = ti
	s.reg.Store(reg)
	s.log.Info("sandbox: number registered", "waba", n.WABAID, "phone_number_id", n.PhoneNumberID,
		"display", mask(n.DisplayPhoneNumber), "webhooks", n.CallbackURL != "")
	return nil
}

// Numbers lists the registered numbers, tokens and secrets included (the Go
// API is for the test that registered them).
func (s *Server) Numbers() []Number {
	reg := s.reg.Load()
	out := make([]Number, 0, len(reg.numbers))
	for _, n := range reg.numbers {
		out = append(out, n.snap.Load().Number)
	}
	slices.SortFunc(out, func(a, b Number) int { return strings.Compare(a.PhoneNumberID, b.PhoneNumberID) })
	return out
}

// ExpireToken makes every later call with token fail with 190/463, as an
// expired user token does.
func (s *Server) ExpireToken(token string) error {
	s.regMu.Lock()
	defer s.regMu.Unlock()
	reg := s.reg.Load().clone()
	old := reg.tokens[token]
	if old == nil {
		return fmt.Errorf("%w: token", ErrNotFound)
	}
	reg.tokens[token] = &tokenInfo{wabas: old.wabas, expired: true}
	s.reg.Store(reg)
	return nil
}

func (s *Server) number(pnid string) (*number, error) {
	n := s.reg.Load().numbers[pnid]
	if n == nil {
		return nil, fmt.Errorf("%w: phone number %s", ErrNotFound, mask(pnid))
	}
	return n, nil
}

// SetQuality changes a number's quality rating and, when tier is not empty,
// its messaging limit, and sends the phone_number_quality_update webhook.
// The event is FLAGGED when quality falls, UNFLAGGED when it recovers, and
// UPGRADE or DOWNGRADE when only the tier changes (design; §3.8).
func (s *Server) SetQuality(pnid, quality, tier string) error {
	n, err := s.number(pnid)
	if err != nil {
		return err
	}
	s.regMu.Lock()
	old := n.snap.Load()
	next := *old
	if quality != "" {
		next.Quality = strings.ToUpper(quality)
	}
	if tier != "" {
		next.Tier = strings.ToUpper(tier)
	}
	if err := next.normalise(); err != nil {
		s.regMu.Unlock()
		return err
	}
	n.snap.Store(&next)
	s.regMu.Unlock()

	rank := func(q string) int { return slices.Index([]string{"RED", "YELLOW", "GREEN"}, q) }
	event := ""
	switch {
	case rank(next.Quality) < rank(old.Quality):
		event = "FLAGGED"
	case rank(next.Quality) > rank(old.Quality):
		event = "UNFLAGGED"
	case slices.Index(tiers, next.Tier) > slices.Index(tiers, old.Tier):
		event = "UPGRADE"
	case slices.Index(tiers, next.Tier) < slices.Index(tiers, old.Tier):
		event = "DOWNGRADE"
	default:
		return nil
	}
	value := qualityUpdateValue{DisplayPhoneNumber: next.digits, Event: event,
		CurrentLimit: next.Tier, MaxDailyConversationsPerBusiness: next.Tier}
	s.emitLater(n, "phone_number_quality_update", marshalASCII(value), true)
	return nil
}

type qualityUpdateValue struct {
	DisplayPhoneNumber               string `json:"display_phone_number"`
	Event                            string `json:"event"`
	CurrentLimit                     string `json:"current_limit"`
	MaxDailyConversationsPerBusiness string `json:"max_daily_conversations_per_business"`
}

// VerifyCallback performs Meta's GET handshake against the number's
// callback URL: the endpoint must answer 200 with the challenge echoed.
func (s *Server) VerifyCallback(ctx context.Context, pnid string) error {
	n, err := s.number(pnid)
	if err != nil {
		return err
	}
	snap := n.snap.Load()
	if snap.CallbackURL == "" {
		return fmt.Errorf("%w: number has no callback URL", ErrInvalid)
	}
	challenge := strconv.FormatUint(s.ids.next()%1_000_000_000, 10)
	u, err := url.Parse(snap.CallbackURL)
	if err != nil {
		return fmt.Errorf("sandbox: verify callback: %w", err)
	}
	q := u.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.challenge", challenge)
	q.Set("hub.verify_token", snap.VerifyToken)
	u.RawQuery = q.Encode()
	ctx, cancel := context.WithTimeout(ctx, s.settings().WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return fmt.Errorf("sandbox: verify callback: %w", err)
	}
	req.Header.Set("User-Agent", "facebookplatform/1.0 (+http://developers.facebook.com)")
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("sandbox: verify callback: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != challenge {
		return fmt.Errorf("%w: callback answered %d without echoing the challenge", ErrInvalid, resp.StatusCode)
	}
	return nil
}

func (s *Server) now() time.Time { return s.settings().Clock() }
