package web_test

import (
	"net/url"
	"slices"
	"strings"
	"testing"

	"tidings/web/paths"
	"tidings/web/webtest"
)

// The log scan that runs after every test must be able to fail: a secret
// logged on purpose is found, and a busy flow logs none of the real ones.
func TestLogScanFindsSeededSecrets(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Logger")
	c := e.Client()
	c.Post(paths.Login, url.Values{"email": {m.Email}, "password": {"wrong-" + m.Password}})
	c.Login(m)
	c.Post(paths.ForgotPassword, url.Values{"email": {m.Email}})
	c.Get(paths.Sessions)
	if leaks := e.Leaks(); len(leaks) > 0 {
		t.Fatalf("secrets in logs after a normal flow: %d", len(leaks))
	}
	if !strings.Contains(e.Logs(), `"route":"/login"`) {
		t.Fatal("the scan sees no application logs at all")
	}
	e.Secret("canary-secret-value-42")
	e.Log.Info("oops", "value", "canary-secret-value-42")
	if leaks := e.Leaks(); !slices.Contains(leaks, "canary-secret-value-42") {
		t.Fatalf("planted secret not found; leaks = %v", leaks)
	}
	e.ForgetSecret("canary-secret-value-42")
}
