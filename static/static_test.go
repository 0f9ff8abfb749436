package static

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

func TestURLs(t *testing.T) {
	// Every name a template asks for must exist, or the page links a 404.
	for _, name := range []string{"css/app.css", "js/htmx-2.0.11.min.js", "img/logo.svg"} {
		u := URL(name)
		if !regexp.MustCompile(`^/static/[a-z/]+[a-z0-9.-]*\.[0-9a-f]{10}\.(css|js|svg)$`).MatchString(u) {
			t.Errorf("URL(%q) = %q, want a hashed /static URL", name, u)
		}
		if URL(name) != u {
			t.Errorf("URL(%q) is not stable", name)
		}
	}
	if got := URL("css/nope.css"); got != "/static/css/nope.css" {
		t.Errorf("unknown name: got %q", got)
	}
}

func TestHandler(t *testing.T) {
	h := Handler()
	tests := []struct {
		path     string
		status   int
		ctPrefix string
	}{
		{URL("css/app.css"), http.StatusOK, "text/css"},
		{URL("js/htmx-2.0.11.min.js"), http.StatusOK, "text/javascript"},
		{URL("img/logo.svg"), http.StatusOK, "image/svg+xml"},
		{strings.TrimPrefix(URL("css/app.css"), "/static"), http.StatusOK, "text/css"},
		{"/static/css/app.css", http.StatusNotFound, ""},
		{"/static/css/app.0000000000.css", http.StatusNotFound, ""},
		{"/static/../static.go", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tt.path, nil))
		if rec.Code != tt.status {
			t.Errorf("GET %s: status %d, want %d", tt.path, rec.Code, tt.status)
			continue
		}
		if got := rec.Header().Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options %q", tt.path, got)
		}
		if tt.status != http.StatusOK {
			continue
		}
		if got := rec.Header().Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q", tt.path, got)
		}
		if got := rec.Header().Get("Content-Type"); !strings.HasPrefix(got, tt.ctPrefix) {
			t.Errorf("GET %s: Content-Type %q, want %s…", tt.path, got, tt.ctPrefix)
		}
		if rec.Body.Len() == 0 {
			t.Errorf("GET %s: empty body", tt.path)
		}
	}

	// A revalidation with the ETag gets a 304.
	u := URL("css/app.css")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, u, nil))
	req := httptest.NewRequest(http.MethodGet, u, nil)
	req.Header.Set("If-None-Match", rec.Header().Get("ETag"))
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified {
		t.Errorf("conditional GET: status %d, want 304", rec.Code)
	}

	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, u, nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: status %d, want 405", rec.Code)
	}
}
