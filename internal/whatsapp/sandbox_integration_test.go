package whatsapp_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"tidings/internal/sandbox"
	"tidings/internal/whatsapp"
)

const (
	itWABA  = "100000000000021"
	itPNID  = "100000000000022"
	itToken = "EAAGintegrationtoken0123456789"
)

// newSandbox starts a sandbox with one number and Meta's limits, except
// what tweak changes.
func newSandbox(t *testing.T, tweak func(*sandbox.Config)) (*sandbox.Server, *whatsapp.Client) {
	t.Helper()
	cfg := sandbox.DefaultConfig()
	cfg.Delays = sandbox.Delays{}
	if tweak != nil {
		tweak(&cfg)
	}
	sb := sandbox.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, cancel := context.WithCancel(context.Background())
	sb.Start(ctx)
	srv := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { srv.Close(); cancel(); sb.Wait() })
	if err := sb.AddNumber(sandbox.Number{WABAID: itWABA, PhoneNumberID: itPNID, DisplayPhoneNumber: "+1 555-010-0022",
		Token: itToken, AppSecret: "integrationappsecret01", Quality: "YELLOW", Tier: "TIER_10K"}); err != nil {
		t.Fatal(err)
	}
	return sb, whatsapp.NewClient(whatsapp.Config{BaseURL: srv.URL, Version: "v23.0"}, nil)
}

func offer(to string) whatsapp.TemplateMessage {
	return whatsapp.TemplateMessage{To: to, Name: "spring_offer", Language: "en_US", BizOpaqueCallbackData: "42",
		Body: []whatsapp.Parameter{whatsapp.NamedParam("first_name", "Ana"), whatsapp.NamedParam("discount", "20%")}}
}

// Every error class the sender acts on, produced by the sandbox the way
// Meta produces it, is classified by the client as the sender expects.
func TestClientAgainstSandboxErrorClasses(t *testing.T) {
	ctx := context.Background()
	sb, c := newSandbox(t, nil)
	res, err := c.SendTemplate(ctx, itToken, itPNID, offer("+447911000101"))
	if err != nil || res.WAMID == "" || res.MessageStatus != "accepted" || res.WAID != "447911000101" {
		t.Fatalf("good send: %+v, %v", res, err)
	}
	n, err := c.GetPhoneNumber(ctx, itToken, itPNID)
	if err != nil || n.QualityRating != "YELLOW" || n.MessagingLimitTier != "TIER_10K" || n.Throughput == "" {
		t.Fatalf("phone number: %+v, %v", n, err)
	}
	if err := sb.SetTemplateStatus(itWABA, "weekly_news", "en_US", "PAUSED"); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		token string
		pnid  string
		msg   whatsapp.TemplateMessage
		code  int
		class whatsapp.Class
	}{
		{"bad token", "EAAGnotavalidtoken000000000", itPNID, offer("+447911000102"), 190, whatsapp.ClassAuth},
		{"unknown phone number id", itToken, "100000000009999", offer("+447911000103"), 100, whatsapp.ClassAuth},
		{"sending to itself", itToken, itPNID, offer("+15550100022"), 131021, whatsapp.ClassPermanent},
		{"unknown template", itToken, itPNID, whatsapp.TemplateMessage{To: "+447911000104", Name: "no_such", Language: "en_US"}, 132001, whatsapp.ClassPermanent},
		{"wrong parameters", itToken, itPNID, whatsapp.TemplateMessage{To: "+447911000105", Name: "order_update", Language: "en_US",
			Body: []whatsapp.Parameter{whatsapp.TextParam("only one")}}, 132000, whatsapp.ClassPermanent},
		{"paused template", itToken, itPNID, whatsapp.TemplateMessage{To: "+447911000106", Name: "weekly_news", Language: "en_US",
			Body: []whatsapp.Parameter{whatsapp.TextParam("Ana")}}, 132015, whatsapp.ClassThrottled},
	}
	for _, tc := range cases {
		_, err := c.SendTemplate(ctx, tc.token, tc.pnid, tc.msg)
		var api *whatsapp.APIError
		if !errors.As(err, &api) || api.Code != tc.code || whatsapp.Classify(err) != tc.class {
			t.Errorf("%s: %v (class %v), want code %d class %v", tc.name, err, whatsapp.Classify(err), tc.code, tc.class)
		}
	}
	if len(sb.Ledger(itPNID, 0)) != 1 {
		t.Errorf("refused sends reached the ledger: %d entries", len(sb.Ledger(itPNID, 0)))
	}
}

func TestClientAgainstSandboxThrottling(t *testing.T) {
	ctx := context.Background()
	t.Run("throughput", func(t *testing.T) {
		_, c := newSandbox(t, func(cfg *sandbox.Config) { cfg.ThroughputPerSec, cfg.ThroughputBurst, cfg.PairLimit = 1, 1, false })
		var throttled error
		for i := range 5 {
			if _, err := c.SendTemplate(ctx, itToken, itPNID, offer("+4479110002"+string(rune('0'+i)))); err != nil {
				throttled = err
				break
			}
		}
		var api *whatsapp.APIError
		if !errors.As(throttled, &api) || api.Code != 130429 || whatsapp.Classify(throttled) != whatsapp.ClassThrottled {
			t.Fatalf("over the number's throughput: %v", throttled)
		}
	})
	t.Run("pair rate", func(t *testing.T) {
		_, c := newSandbox(t, func(cfg *sandbox.Config) { cfg.ThroughputPerSec, cfg.PairBurst = 0, 2 })
		var err error
		for range 3 {
			if _, err = c.SendTemplate(ctx, itToken, itPNID, offer("+447911000301")); err != nil {
				break
			}
		}
		var api *whatsapp.APIError
		if !errors.As(err, &api) || api.Code != 131056 || whatsapp.Classify(err) != whatsapp.ClassThrottled {
			t.Fatalf("over the pair rate: %v", err)
		}
	})
}
