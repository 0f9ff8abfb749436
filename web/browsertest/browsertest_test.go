package browsertest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"tidings/web/browsertest"
)

// The watch must hear what a strict CSP blocks, or "no CSP violations" in
// the app's browser tests would prove nothing.
func TestWatchCatchesCSPViolationsAndErrors(t *testing.T) {
	mux := http.NewServeMux()
	page := func(body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Security-Policy", "default-src 'self'; script-src 'self' 'nonce-n0nce'; style-src 'self'; img-src 'self' data:")
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			_, _ = w.Write([]byte(`<!DOCTYPE html><html><head><title>t</title><link rel="icon" href="data:,"></head><body>` + body + `</body></html>`))
		}
	}
	mux.HandleFunc("/clean", page(`<p id="ok">fine</p><script nonce="n0nce">console.log("hello")</script>`))
	mux.HandleFunc("/inline-script", page(`<p id="ok">x</p><script>document.title = "ran"</script>`))
	mux.HandleFunc("/inline-style", page(`<p id="ok" style="color: red">x</p>`))
	mux.HandleFunc("/errors", page(`<p id="ok">x</p><script nonce="n0nce">console.error("boom"); setTimeout(() => { throw new Error("kaboom") })</script>`))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	ctx := browsertest.New(t)
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	w := browsertest.WatchConsole(t, ctx)

	visit := func(path string) []browsertest.Problem {
		t.Helper()
		before := len(w.Problems())
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path), chromedp.WaitVisible(chromedp.CSS("#ok"))); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		// Exceptions from timers and the violation reports are asynchronous.
		if err := chromedp.Do(ctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		return w.Problems()[before:]
	}
	has := func(ps []browsertest.Problem, k browsertest.Kind, substr string) bool {
		for _, p := range ps {
			if p.Kind == k && strings.Contains(p.String(), substr) {
				return true
			}
		}
		return false
	}

	if ps := visit("/clean"); len(ps) != 0 {
		t.Errorf("clean page: %v", ps)
	}
	if ps := visit("/inline-script"); !has(ps, browsertest.CSPViolation, "script-src") {
		t.Errorf("inline script: no CSP violation caught: %v", ps)
	}
	if ps := visit("/inline-style"); !has(ps, browsertest.CSPViolation, "style-src") {
		t.Errorf("inline style attribute: no CSP violation caught: %v", ps)
	}
	ps := visit("/errors")
	if !has(ps, browsertest.ConsoleError, "boom") {
		t.Errorf("console.error not caught: %v", ps)
	}
	if !has(ps, browsertest.Exception, "kaboom") {
		t.Errorf("uncaught exception not caught: %v", ps)
	}
	for _, p := range w.Problems() {
		t.Logf("caught: %s", p)
	}
	// All of the above was on purpose: the end-of-test check must not fail.
	w.Check(&quietT{TB: t}, "self-test")
}

// quietT swallows the failures Check reports.
type quietT struct{ testing.TB }

func (q *quietT) Errorf(string, ...any) {}

func TestScreenshotWritesUnderTestArtifacts(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`<!DOCTYPE html><meta name="viewport" content="width=device-width"><link rel="icon" href="data:,"><p id="ok">hi</p>`))
	}))
	t.Cleanup(srv.Close)
	ctx := browsertest.New(t)
	if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL), chromedp.WaitVisible(chromedp.CSS("#ok"))); err != nil {
		t.Fatal(err)
	}
	browsertest.Screenshot(t, ctx, "desktop")
	browsertest.ScreenshotMobile(t, ctx, "mobile")
	size, err := chromedp.Run(ctx, chromedp.Evaluate[[]int](`[window.innerWidth, window.innerHeight]`))
	if err != nil || len(size) != 2 || size[0] != browsertest.Width || size[1] != browsertest.Height {
		t.Errorf("after the mobile screenshot the viewport is %v (%v), want %dx%d", size, err, browsertest.Width, browsertest.Height)
	}
}
