package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"tidings/internal/connection"
	"tidings/internal/contact"
	"tidings/internal/sandbox"
	"tidings/web/paths"
)

// sandboxPrefix is where `tidings dev` mounts the sandbox on its own port.
const sandboxPrefix = "/sandbox"

// The demo number the dev org is connected to.
const (
	demoWABAID = "100000000000001"
	demoPNID   = "100000000000002"
)

// runSandbox serves the WhatsApp Cloud API sandbox alone (`tidings
// sandbox`), for running the web and worker processes against it as they
// would run against Meta. Numbers are registered through its control API.
func runSandbox(ctx context.Context, log *slog.Logger, out io.Writer) error {
	addr := os.Getenv("SANDBOX_ADDR")
	if addr == "" {
		addr = "127.0.0.1:8090"
	}
	sb := sandbox.New(sandbox.DefaultConfig(), log)
	sb.Start(ctx)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sandbox: listen: %w", err)
	}
	hs := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { <-ctx.Done(); _ = hs.Close() }()
	fmt.Fprintf(out, "WhatsApp sandbox on http://%s (fake phone: http://%s/_sandbox/phone)\n", addr, addr)
	if err := hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	sb.Wait()
	return nil
}

// connectDemoToSandbox gives the demo org a connection to the embedded
// sandbox (once), and registers that connection's number with the sandbox
// (every start: the sandbox keeps no state across restarts).
func (a *app) connectDemoToSandbox(ctx context.Context, sb *sandbox.Server, orgID, userID int64) error {
	base := a.cfg.BaseURL.String()
	c, err := a.conns.Get(ctx, orgID, userID)
	if errors.Is(err, connection.ErrNotFound) {
		c, err = a.conns.Save(ctx, orgID, userID, connection.Input{WABAID: demoWABAID, PhoneNumberID: demoPNID,
			APIBaseURL: base + sandboxPrefix, APIVersion: a.cfg.WhatsAppVersion,
			AccessToken: "EAAG" + randomHex(24), AppSecret: randomHex(16)})
	}
	if err != nil {
		return err
	}
	if c.PhoneNumberID != demoPNID {
		return nil // the demo org was connected elsewhere by hand: leave it.
	}
	sec, err := a.conns.Secrets(c)
	if err != nil {
		return err
	}
	return sb.AddNumber(sandbox.Number{WABAID: c.WABAID, PhoneNumberID: c.PhoneNumberID, DisplayPhoneNumber: "+1 555-010-0001",
		VerifiedName: "Demo Bakery", Token: sec.AccessToken, AppSecret: sec.AppSecret, VerifyToken: sec.VerifyToken,
		CallbackURL: base + paths.WhatsAppWebhook(c.WebhookKey), Quality: "GREEN", Tier: "TIER_2K"})
}

// demoContacts are the people a fresh demo organisation starts with, so a
// newcomer can send a campaign on `make run` without preparing a file. The
// messages only ever reach the sandbox (whose fake phone shows what each
// would receive); Ofcom's drama range (07700 900xxx) would be the natural
// choice but libphonenumber does not accept it as a valid number. One has given no
// consent, so the pre-send check has something to explain.
var demoContacts = []struct {
	phone, name string
	optedIn     bool
}{
	{"07911 123451", "Ann Example", true},
	{"07911 123452", "Ben Example", true},
	{"07911 123453", "Cleo Example", true},
	{"07911 123454", "Dev Example", false},
}

// seedDemoContacts adds demoContacts to the demo organisation once: an org
// that has any contact (the demo user deleted them, or imported their own)
// is left as it is.
func (a *app) seedDemoContacts(ctx context.Context, orgID, userID int64) error {
	n, err := a.contacts.Count(ctx, orgID, contact.Filter{})
	if err != nil || n > 0 {
		return err
	}
	for _, d := range demoContacts {
		in := contact.ContactInput{Phone: d.phone, Country: "GB", Name: d.name, Tags: []string{"demo"}}
		if d.optedIn {
			in.Consent = &contact.ConsentInput{Kind: contact.EventOptIn, Source: contact.SourceManual,
				LawfulBasis: "consent", Evidence: "demo data: ticked the box at the till", At: time.Now()}
		}
		if _, err := a.contacts.Create(ctx, orgID, userID, in); err != nil {
			return fmt.Errorf("dev: demo contact: %w", err)
		}
	}
	return nil
}
