// Package static embeds the stylesheet, the vendored htmx and the images,
// and serves them under content-hashed URLs so browsers may cache them
// forever: a changed file gets a new URL.
//
// Templates ask for a file by its plain name (URL("css/app.css")); the
// handler answers only the hashed names this package handed out. The
// package must not read anything from disk at run time.
package static

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"

	"tidings/web/paths"
)

//go:embed css js img
var files embed.FS

// hashLen is how many hex digits of the SHA-256 go into a file name:
// 40 bits is plenty to tell versions of one file apart.
const hashLen = 10

type asset struct {
	body        []byte
	contentType string
	etag        string
}

var (
	// byName maps a plain name ("css/app.css") to its hashed name
	// ("css/app.3f2a9c1b7d.css"); byHashed maps hashed names to content.
	byName   = map[string]string{}
	byHashed = map[string]asset{}
)

// contentTypes pins the types we serve so the answer does not depend on
// the host's mime.types file.
var contentTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/x-icon",
	".webp":  "image/webp",
	".woff2": "font/woff2",
	".txt":   "text/plain; charset=utf-8",
}

func init() {
	err := fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := files.ReadFile(name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		hash := hex.EncodeToString(sum[:])[:hashLen]
		ext := path.Ext(name)
		hashed := strings.TrimSuffix(name, ext) + "." + hash + ext
		ct, ok := contentTypes[ext]
		if !ok {
			ct = mime.TypeByExtension(ext)
		}
		if ct == "" {
			ct = "application/octet-stream"
		}
		byName[name] = hashed
		byHashed[hashed] = asset{body: body, contentType: ct, etag: `"` + hash + `"`}
		return nil
	})
	if err != nil {
		panic("static: reading embedded files: " + err.Error())
	}
}

// URL returns the content-hashed URL of an embedded file, for example
// URL("css/app.css") == "/static/css/app.3f2a9c1b7d.css".
//
// An unknown name yields an unhashed URL that the handler answers with 404,
// rather than a panic while a page is half rendered; TestURLs catches typos.
func URL(name string) string {
	name = strings.TrimPrefix(name, "/")
	if hashed, ok := byName[name]; ok {
		return paths.Static + "/" + hashed
	}
	return paths.Static + "/" + name
}

// Handler serves the hashed files. It accepts the full request path
// ("/static/css/app.3f2a9c1b7d.css"), so mount it at paths.Static+"/*"
// (Echo) or paths.Static+"/" (ServeMux) without stripping the prefix; a
// path already stripped of the prefix works too. Anything else is a 404.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
			return
		}
		name := r.URL.Path
		if rest, ok := strings.CutPrefix(name, paths.Static+"/"); ok {
			name = rest
		} else {
			name = strings.TrimPrefix(name, "/")
		}
		a, ok := byHashed[name]
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if !ok {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", a.contentType)
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("ETag", a.etag)
		// ServeContent handles HEAD, Range and If-None-Match; the zero
		// modification time leaves Last-Modified out (the ETag is better).
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.body))
	})
}
