package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tidings/web/webtest"
)

// A file larger than the in-memory part of an upload (1 MiB) spills to a
// temporary file on its way to the import and arrives whole.
func TestImportUploadLargerThanMemoryBound(t *testing.T) {
	e := webtest.New(t)
	m := e.NewOwner("Big")
	c := e.Client()
	c.Login(m)
	var b strings.Builder
	b.WriteString("Phone,Name,Email\n")
	for i := 0; b.Len() < 3<<20; i++ {
		fmt.Fprintf(&b, "07911 %06d,Person %d,person%d@example.com\n", i, i, i)
	}
	r := upload(t, c, e, "big.csv", b.String())
	if r.Status != http.StatusSeeOther || !importIDRE.MatchString(r.Header.Get("Location")) {
		t.Fatalf("3 MB upload: %d %s", r.Status, r.Header.Get("Location"))
	}
	if page := c.Get(r.Header.Get("Location")); page.Status != http.StatusOK || !strings.Contains(page.Body, "07911 000001") {
		t.Fatalf("mapping page after a 3 MB upload: %d", page.Status)
	}
}
