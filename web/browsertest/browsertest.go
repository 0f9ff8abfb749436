// Package browsertest starts a headless Chromium for browser tests and
// collects what they need besides clicking: full-page screenshots under
// test-artifacts/, a mobile-width variant, and a watch on the console that
// catches JavaScript errors and Content Security Policy violations.
//
// Chromium is a hard requirement, not a reason to skip: `make test` installs
// it (see the Makefile's browser target), so a missing browser fails loudly.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Window size of the desktop browser.
const (
	Width  = 1280
	Height = 900
)

// MobileWidth and MobileHeight are the viewport of ScreenshotMobile (a
// small phone).
const (
	MobileWidth  = 375
	MobileHeight = 812
)

// execPath finds Debian's Chromium: `chromium` on PATH, else the package's
// usual place.
func execPath() (string, bool) {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	if fi, err := os.Stat("/usr/bin/chromium"); err == nil && !fi.IsDir() {
		return "/usr/bin/chromium", true
	}
	return "", false
}

// New starts a headless Chromium with a fresh profile and returns the
// context of its first tab. Everything stops at the test's cleanup. Use the
// context with chromedp.Do and chromedp.Run; derive a context with a
// timeout from it to bound a step or the whole test (the browser itself
// lives until cleanup).
func New(t testing.TB) context.Context {
	t.Helper()
	path, ok := execPath()
	if !ok {
		t.Fatal("Chromium not found: run `make browser` (apt-get install chromium)")
	}
	profile := t.TempDir()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(Width, Height),
	)
	ctx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithErrorf(func(format string, args ...any) {
		t.Logf("chromedp: "+format, args...)
	}))
	// Cleanups run last-in first-out: the tab and the browser (which waits
	// for the process to exit) go before t.TempDir removes the profile.
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})
	// Start the browser now, under the tab's own context (the first Do binds
	// the browser's life to the context it runs with), but give up after a
	// while: a caller's timeouts then bound its steps, not the browser.
	started := make(chan error, 1)
	go func() { started <- chromedp.Do(ctx) }()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting Chromium (%s): %v", path, err)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("starting Chromium (%s): no answer after 30s", path)
	}
	// Headless Chromium takes room for window decorations off the window
	// size; pin the viewport itself so screenshots are Width×Height at least.
	if err := chromedp.Do(ctx, desktop()); err != nil {
		t.Fatalf("setting the viewport: %v", err)
	}
	return ctx
}

func desktop() chromedp.Action[chromedp.Void] { return chromedp.EmulateViewport(Width, Height) }

// Screenshot saves a full-page PNG of the current page as
// <repo root>/test-artifacts/screenshots/<TestName>/<NN>-<name>.png, NN
// counting the test's screenshots from 01. The first screenshot of a test
// empties its folder, so the folder only ever shows the latest run.
func Screenshot(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	// Let the page settle: layout, fonts, and htmx's settle classes.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](
		`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r())))`, chromedp.EvalAwaitPromise)); err != nil {
		t.Fatalf("screenshot %s: waiting for a frame: %v", name, err)
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := nextShotPath(t, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	t.Logf("screenshot: %s", path)
}

// ScreenshotMobile is Screenshot with a phone's viewport
// (MobileWidth×MobileHeight, mobile emulation on, so the page's viewport
// meta tag applies). The desktop viewport comes back afterwards. It also
// fails the test when the page is wider than the phone (something
// overflows sideways).
func ScreenshotMobile(t testing.TB, ctx context.Context, name string) {
	t.Helper()
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(MobileWidth, MobileHeight, chromedp.EmulateMobile, chromedp.EmulatePortrait)); err != nil {
		t.Fatalf("mobile viewport: %v", err)
	}
	defer func() {
		if err := chromedp.Do(ctx, desktop()); err != nil {
			t.Errorf("resetting the viewport: %v", err)
		}
	}()
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.clientWidth`))
	if err != nil {
		t.Fatalf("mobile viewport: %v", err)
	}
	if width != MobileWidth {
		t.Errorf("mobile viewport: the page is %dpx wide, want %d (something overflows horizontally?)", width, MobileWidth)
	}
	Screenshot(t, ctx, name)
}

var shots = struct {
	sync.Mutex
	n map[string]int
}{n: map[string]int{}}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

func nextShotPath(t testing.TB, name string) string {
	t.Helper()
	dir := filepath.Join(RepoRoot(t), "test-artifacts", "screenshots", unsafeName.ReplaceAllString(t.Name(), "_"))
	shots.Lock()
	n := shots.n[t.Name()] + 1
	shots.n[t.Name()] = n
	shots.Unlock()
	if n == 1 {
		if err := os.RemoveAll(dir); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, fmt.Sprintf("%02d-%s.png", n, unsafeName.ReplaceAllString(name, "_")))
}

// RepoRoot is the nearest folder above the working directory that holds
// go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("browsertest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// trimURL keeps messages short: the page's origin adds nothing.
func trimURL(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		if j := strings.IndexByte(s[i+3:], '/'); j >= 0 {
			return s[i+3+j:]
		}
	}
	return s
}
