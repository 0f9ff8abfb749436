package web_test

import (
	"context"
	"testing"
	"time"

	"tidings/internal/contact"
	"tidings/internal/sandbox"
	"tidings/web/webtest"
)

// A person texts "Arrêt" from the sandbox's phone: the signed webhook is
// stored, the worker applies it, and the contact is opted out with the
// reply as evidence and a confirmation waiting in the ledger.
func TestInboundStopThroughTheSandbox(t *testing.T) {
	e := webtest.New(t, webtest.Options{Sandbox: true})
	owner := e.NewOwner("Stopper")
	connectSandbox(t, e, owner, "100000000000071", "100000000000072", "Stop Shop")
	ctx := context.Background()
	c, err := e.Contacts.Create(ctx, owner.OrgID, owner.UserID, contact.ContactInput{Phone: "+447911123456", Country: "GB", Name: "Ann",
		Consent: &contact.ConsentInput{Kind: contact.EventOptIn, Source: contact.SourceManual, LawfulBasis: "consent", Evidence: "asked in the shop"}})
	if err != nil {
		t.Fatal(err)
	}
	e.Secret("447911123456")
	if _, err := e.Sandbox.InjectInbound(sandbox.Inbound{PhoneNumberID: "100000000000072", From: "+447911123456", Text: " Arrêt "}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		drain(t, e)
		d, err := e.Contacts.Get(ctx, owner.OrgID, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d.ConsentState == contact.ConsentOptedOut {
			last := d.Timeline[len(d.Timeline)-1]
			if last.Source != contact.SourceContact || last.Kind != contact.EventOptOut {
				t.Errorf("last consent event %+v", last)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %s after the STOP", d.ConsentState)
		}
		time.Sleep(50 * time.Millisecond)
	}
	var queued int
	if err := e.Ops.Conn().Pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE org_id = $1 AND kind = 'text' AND status = 'queued'`,
		owner.OrgID).Scan(&queued); err != nil || queued != 1 {
		t.Errorf("confirmations queued: %d %v", queued, err)
	}
}
