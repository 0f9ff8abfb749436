package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/audits"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Kind sorts what a Watch caught.
type Kind string

// The kinds of Problem.
const (
	// ConsoleError is console.error or console.assert in a page script, or
	// an error entry of the browser's log (a failed request, a blocked
	// resource...).
	ConsoleError Kind = "console error"
	// Exception is an uncaught exception or unhandled promise rejection.
	Exception Kind = "uncaught exception"
	// CSPViolation is anything the Content Security Policy blocked (or would
	// have, in report-only mode): an inline script or style, eval, a
	// resource from another origin.
	CSPViolation Kind = "CSP violation"
)

// Problem is one thing that went wrong in the page.
type Problem struct {
	Kind Kind
	Text string
	URL  string // where, when the browser says
}

func (p Problem) String() string {
	if p.URL == "" {
		return string(p.Kind) + ": " + p.Text
	}
	return string(p.Kind) + ": " + p.Text + " (" + trimURL(p.URL) + ")"
}

// Watch collects the console errors, uncaught exceptions and CSP
// violations of a tab. It hears CSP violations three ways, so none slips
// by: the page's own securitypolicyviolation events (from a listener in an
// isolated world, which the page's CSP does not govern), the DevTools
// issues of kind ContentSecurityPolicyIssue, and the console messages
// Chromium writes for them.
type Watch struct {
	ctx context.Context

	mu       sync.Mutex
	problems []Problem
	reported int
	ignore   []*regexp.Regexp
}

const (
	cspBinding = "__browsertestCSPViolation"
	cspWorld   = "browsertest"
)

// cspListener runs in an isolated world of every new document and hands
// each violation to the binding. Isolated worlds share the DOM, so they
// see the document's events, but not the page's globals or its CSP.
const cspListener = `document.addEventListener('securitypolicyviolation', e => {
	globalThis.` + cspBinding + `(JSON.stringify({
		directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
		source: e.sourceFile, line: e.lineNumber, sample: e.sample,
		disposition: e.disposition, url: e.documentURI,
	}));
}, true);`

// WatchConsole starts watching the tab of ctx (from New). Start it before
// the first navigation. At the end of the test it fails the test for
// every problem no Check reported yet, so nothing goes unnoticed; call
// Check after a step to tie problems to that step.
func WatchConsole(t testing.TB, ctx context.Context) *Watch {
	t.Helper()
	w := &Watch{ctx: ctx}
	if err := chromedp.Listen(ctx, w.event); err != nil {
		t.Fatalf("watching the console: %v", err)
	}
	steps := []func() error{
		func() error { _, err := chromedp.Call(ctx, audits.Enable, cdp.Empty{}); return err },
		func() error {
			_, err := chromedp.Call(ctx, runtime.AddBinding, runtime.AddBindingParams{Name: cspBinding, ExecutionContextName: cspWorld})
			return err
		},
		func() error {
			_, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument,
				page.AddScriptToEvaluateOnNewDocumentParams{Source: cspListener, WorldName: cspWorld})
			return err
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("watching the console: %v", err)
		}
	}
	t.Cleanup(func() { w.Check(t, "end of test") })
	return w
}

// Ignore drops future problems whose text (with the URL) matches pattern,
// for a message a test causes on purpose. Say why next to the call.
func (w *Watch) Ignore(pattern string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.ignore = append(w.ignore, regexp.MustCompile(pattern))
}

// Problems returns everything caught so far.
func (w *Watch) Problems() []Problem {
	w.sync()
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]Problem(nil), w.problems...)
}

// Check fails the test for each problem caught since the last Check,
// naming the step (e.g. "sign-up form"). Problems the browser reported
// before Check was called are all in: the watch runs in the tab's event
// loop, and Check waits for one round trip to the page.
func (w *Watch) Check(t testing.TB, step string) {
	t.Helper()
	w.sync()
	w.mu.Lock()
	fresh := w.problems[w.reported:]
	w.reported = len(w.problems)
	w.mu.Unlock()
	for _, p := range fresh {
		t.Errorf("browser, %s: %s", step, p)
	}
}

// sync makes one round trip to the tab, so every event sent before it has
// been through w.event. A closed tab has nothing more to say.
func (w *Watch) sync() {
	_, _ = chromedp.Run(w.ctx, chromedp.Evaluate[chromedp.Void](`0`))
}

// event runs in the tab's event loop: it must be quick and send nothing.
func (w *Watch) event(ev any) {
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			url := ""
			if st := ev.StackTrace; st != nil && len(st.CallFrames) > 0 {
				url = st.CallFrames[0].URL
			}
			w.add(classify(ConsoleError, argsText(ev.Args)), argsText(ev.Args), url)
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + strings.SplitN(d.Exception.Description, "\n", 2)[0]
		}
		w.add(Exception, text, d.URL)
	case *log.EventEntryAdded:
		e := ev.Entry
		if e == nil {
			return
		}
		if k := classify(ConsoleError, e.Text); e.Level == log.EntryLevelError || k == CSPViolation {
			w.add(k, e.Text, e.URL)
		}
	case *audits.EventIssueAdded:
		is := ev.Issue
		if is == nil || is.Code != audits.InspectorIssueCodeContentSecurityPolicyIssue || is.Details == nil {
			return
		}
		d := is.Details.ContentSecurityPolicyIssueDetails
		if d == nil {
			w.add(CSPViolation, "ContentSecurityPolicyIssue", "")
			return
		}
		text := fmt.Sprintf("%s blocked %s", d.ViolatedDirective, orInline(d.BlockedURL))
		if d.IsReportOnly {
			text += " (report-only)"
		}
		url := ""
		if loc := d.SourceCodeLocation; loc != nil {
			url = fmt.Sprintf("%s:%d", loc.URL, loc.LineNumber+1)
		}
		w.add(CSPViolation, text, url)
	case *runtime.EventBindingCalled:
		if ev.Name != cspBinding {
			return
		}
		var v struct {
			Directive, Blocked, Source, Sample, Disposition, URL string
			Line                                                 int
		}
		if err := json.Unmarshal([]byte(ev.Payload), &v); err != nil {
			w.add(CSPViolation, ev.Payload, "")
			return
		}
		text := fmt.Sprintf("%s blocked %s", v.Directive, orInline(v.Blocked))
		if v.Sample != "" {
			text += fmt.Sprintf(" %q", v.Sample)
		}
		if v.Disposition == "report" {
			text += " (report-only)"
		}
		where := v.URL
		if v.Source != "" {
			where = fmt.Sprintf("%s:%d", v.Source, v.Line)
		}
		w.add(CSPViolation, text, where)
	}
}

func (w *Watch) add(k Kind, text, url string) {
	p := Problem{Kind: k, Text: text, URL: url}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, re := range w.ignore {
		if re.MatchString(p.String()) {
			return
		}
	}
	// The same violation comes by more than one way (see Watch): say it once.
	for _, q := range w.problems[max(0, len(w.problems)-4):] {
		if q == p {
			return
		}
	}
	w.problems = append(w.problems, p)
}

// classify spots Chromium's console wording for CSP violations ("Refused
// to … because it violates the following Content Security Policy
// directive").
func classify(k Kind, text string) Kind {
	if strings.Contains(text, "Content Security Policy") {
		return CSPViolation
	}
	return k
}

func orInline(blocked string) string {
	if blocked == "" {
		return "inline"
	}
	return blocked
}

// argsText renders console arguments roughly as DevTools does.
func argsText(args []*runtime.RemoteObject) string {
	parts := make([]string, 0, len(args))
	for _, a := range args {
		var s string
		switch {
		case a.Type == runtime.RemoteObjectTypeString && json.Unmarshal(a.Value, &s) == nil:
		case a.Description != "":
			s = a.Description
		case len(a.Value) > 0:
			s = string(a.Value)
		default:
			s = string(a.Type)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}
