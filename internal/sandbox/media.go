package sandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Minimal media (§8): upload, read the URL, download with the token, delete.
// Files are kept in memory, so the sandbox caps their total size.

const maxMediaTotal = 256 << 20

type mediaItem struct {
	id, wabaID, mime, sha string
	data                  []byte
	at                    time.Time
}

type mediaStore struct {
	items *shardMap[string, *mediaItem]
	total atomic.Int64
}

func newMediaStore() *mediaStore {
	return &mediaStore{items: newShardMap[string, *mediaItem](hashString)}
}

func (ms *mediaStore) get(id string) *mediaItem {
	m, _ := ms.items.get(id)
	return m
}

func (ms *mediaStore) remove(id string) {
	if m := ms.get(id); m != nil {
		ms.items.remove(id)
		ms.total.Add(-int64(len(m.data)))
	}
}

// mediaLimit is Meta's size limit for a MIME type; 0 = not supported.
func mediaLimit(mimeType string) int64 {
	switch mimeType {
	case "image/jpeg", "image/png":
		return 5 << 20
	case "image/webp":
		return 500 << 10
	case "audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg", "video/mp4", "video/3gpp":
		return 16 << 20
	case "text/plain", "application/pdf", "application/msword", "application/vnd.ms-excel",
		"application/vnd.ms-powerpoint",
		"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
		"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
		"application/vnd.openxmlformats-officedocument.presentationml.presentation":
		return 100 << 20
	}
	return 0
}

func (s *Server) handleMediaUpload(w http.ResponseWriter, r *http.Request) {
	c := s.begin(w, r)
	if c == nil {
		return
	}
	num := c.numberFor(r.PathValue("id"))
	if num == nil {
		s.reject(w, noObject("post", r.PathValue("id")))
		return
	}
	mr, err := r.MultipartReader()
	if err != nil {
		s.reject(w, paramErr("Media must be uploaded as multipart/form-data."))
		return
	}
	var product, typ, partType string
	var data []byte
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			s.reject(w, paramErr("The multipart body could not be read."))
			return
		}
		switch p.FormName() {
		case "messaging_product":
			b, _ := io.ReadAll(io.LimitReader(p, 64))
			product = strings.TrimSpace(string(b))
		case "type":
			b, _ := io.ReadAll(io.LimitReader(p, 256))
			typ = strings.TrimSpace(string(b))
		case "file":
			partType = p.Header.Get("Content-Type")
			data, err = io.ReadAll(io.LimitReader(p, 100<<20+1))
			if err != nil {
				s.reject(w, paramErr("The file could not be read."))
				return
			}
		}
	}
	if product == "" {
		s.reject(w, paramErr("The parameter messaging_product is required."))
		return
	}
	if data == nil {
		s.reject(w, waErr(codeRequiredMissing, "The parameter file is required."))
		return
	}
	if typ == "" {
		typ = partType
	}
	typ, _, _ = mime.ParseMediaType(typ)
	limit := mediaLimit(typ)
	if limit == 0 {
		s.reject(w, waErr(codeMediaUpload, "Media type %q is not supported.", typ))
		return
	}
	if int64(len(data)) > limit {
		s.reject(w, waErr(codeMediaUpload, "The file is larger than the %d MB allowed for %s.", limit>>20, typ))
		return
	}
	st := s.st.Load()
	if st.media.total.Add(int64(len(data))) > maxMediaTotal {
		st.media.total.Add(-int64(len(data)))
		s.reject(w, waErr(codeMediaUpload, "The sandbox keeps at most 256 MB of media; delete some first."))
		return
	}
	sum := sha256.Sum256(data)
	m := &mediaItem{id: s.ids.numericID(), wabaID: num.waba.id, mime: typ, sha: hex.EncodeToString(sum[:]), data: data, at: s.now()}
	st.media.items.put(m.id, m)
	writeJSON(w, http.StatusOK, map[string]string{"id": m.id})
}

// mediaURLTTL is how long a media URL works (Meta: 5 minutes).
const mediaURLTTL = 5 * time.Minute

func (s *Server) mediaInfo(w http.ResponseWriter, r *http.Request, m *mediaItem) {
	exp := s.now().Add(mediaURLTTL).Unix()
	u := baseURL(r) + "/_sandbox/media/" + m.id + "?exp=" + strconv.FormatInt(exp, 10)
	writeJSON(w, http.StatusOK, map[string]any{"messaging_product": "whatsapp", "url": u,
		"mime_type": m.mime, "sha256": m.sha, "file_size": len(m.data), "id": m.id})
}

// handleMediaDownload serves a media URL: it needs a token of the owning
// WABA and must not have expired; anything else is a bare 404, as at Meta.
func (s *Server) handleMediaDownload(w http.ResponseWriter, r *http.Request) {
	m := s.st.Load().media.get(r.PathValue("id"))
	ti := s.reg.Load().tokens[bearer(r)]
	exp, _ := strconv.ParseInt(r.URL.Query().Get("exp"), 10, 64)
	if m == nil || ti == nil || ti.expired || !ti.wabas[m.wabaID] || s.now().Unix() >= exp {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", m.mime)
	w.Header().Set("Content-Length", strconv.Itoa(len(m.data)))
	_, _ = w.Write(m.data)
}
