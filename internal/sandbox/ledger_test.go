package sandbox

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// TestLedgerConcurrent sends from many goroutines to two numbers while a
// reader pages through the ledger with since-seq: the ledger must end up
// complete (every accepted wamid exactly once), numbered 1..N without gaps,
// and the concurrent reader must have seen exactly the same sequence.
func TestLedgerConcurrent(t *testing.T) {
	f := newFixture(t, func(c *Config) { c.DeliveredProb = 0 })
	const workers, each = 12, 150
	accepted := make(chan string, workers*each)
	done := make(chan struct{})
	var seen []LedgerEntry
	var readerWG sync.WaitGroup
	readerWG.Go(func() {
		var since int64
		for {
			select {
			case <-done:
				seen = append(seen, f.s.Ledger("", since)...)
				return
			default:
			}
			page := f.s.Ledger("", since)
			for i, e := range page {
				if e.Seq != since+int64(i)+1 {
					t.Errorf("page after %d has seq %d at %d: a gap", since, e.Seq, i)
					return
				}
			}
			if len(page) > 0 {
				since = page[len(page)-1].Seq
				seen = append(seen, page...)
			}
			time.Sleep(200 * time.Microsecond)
		}
	})
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			pnid := pnidA
			if w%2 == 1 {
				pnid = pnidA2
			}
			for i := range each {
				body := orderUpdate("+4915" + strconv.Itoa(100000000+w*1000+i))
				body["biz_opaque_callback_data"] = strconv.Itoa(w) + "/" + strconv.Itoa(i)
				r := f.do("POST", "/v23.0/"+pnid+"/messages", tokA, body)
				if r.status != 200 {
					t.Errorf("send: %s", r.raw)
					return
				}
				accepted <- r.wamid()
			}
		})
	}
	wg.Wait()
	close(done)
	readerWG.Wait()
	close(accepted)

	all := f.s.Ledger("", 0)
	if len(all) != workers*each {
		t.Fatalf("ledger has %d entries, want %d", len(all), workers*each)
	}
	byID := map[string]int{}
	for i, e := range all {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
		byID[e.WAMID]++
		if e.Template == nil || e.Template.Name != "order_update" || len(e.Template.Params) != 2 || e.BizOpaqueCallbackData == "" {
			t.Fatalf("entry %+v", e)
		}
	}
	for id := range accepted {
		if byID[id] != 1 {
			t.Errorf("accepted wamid %s appears %d times", id, byID[id])
		}
	}
	if len(seen) != len(all) {
		t.Fatalf("the concurrent reader saw %d entries, want %d", len(seen), len(all))
	}
	for i := range seen {
		if seen[i].Seq != all[i].Seq || seen[i].WAMID != all[i].WAMID {
			t.Fatalf("reader entry %d differs: %+v vs %+v", i, seen[i], all[i])
		}
	}
	a, b := f.s.Ledger(pnidA, 0), f.s.Ledger(pnidA2, 0)
	if len(a)+len(b) != len(all) || len(a) != workers/2*each {
		t.Errorf("per-number: %d + %d of %d", len(a), len(b), len(all))
	}
	for _, e := range a {
		if e.PhoneNumberID != pnidA {
			t.Fatalf("filter leaked %+v", e)
		}
	}
	if got := f.s.Ledger("", int64(len(all)-5)); len(got) != 5 || got[0].Seq != int64(len(all)-4) {
		t.Errorf("since: %d entries starting at %d", len(got), got[0].Seq)
	}
}

func TestLedgerEntry(t *testing.T) {
	f := newFixture(t)
	inbound(f, "hi")
	body := tmplMsg(userTo, "spring_offer", "en_US", namedParams("first_name", "Anna", "discount", "20%"),
		map[string]any{"type": "button", "sub_type": "quick_reply", "index": "1", "parameters": []any{map[string]any{"type": "payload", "payload": "STOP"}}})
	body["biz_opaque_callback_data"] = "c1"
	tid := f.mustSend(body)
	xid := f.mustSend(textMsg(userTo, "Thanks!"))
	es := f.s.Ledger(pnidA, 0)
	if len(es) != 2 {
		t.Fatalf("%d entries", len(es))
	}
	e := es[0]
	want := []LedgerParam{{Component: "body", Name: "first_name", Type: "text", Value: "Anna"},
		{Component: "body", Name: "discount", Type: "text", Value: "20%"},
		{Component: "button", Index: "1", Type: "payload", Value: "STOP"}}
	if e.WAMID != tid || e.Type != "template" || e.To != userTo || e.WaID != userWA || e.BizOpaqueCallbackData != "c1" ||
		e.Template.Name != "spring_offer" || e.Template.Language != "en_US" || e.Template.Category != "MARKETING" ||
		!equalParams(e.Template.Params, want) || !e.AcceptedAt.Equal(f.clock.Now()) {
		t.Errorf("template entry %+v", e)
	}
	if es[1].WAMID != xid || es[1].Type != "text" || es[1].Text != "Thanks!" || es[1].Template != nil {
		t.Errorf("text entry %+v", es[1])
	}
}

func equalParams(a, b []LedgerParam) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestLedgerControlAPIPaging(t *testing.T) {
	f := newFixture(t)
	for i := range 7 {
		path := "/v23.0/" + pnidA + "/messages"
		if i%2 == 1 {
			path = "/v23.0/" + pnidA2 + "/messages"
		}
		if r := f.do("POST", path, tokA, orderUpdate("+4915100"+strconv.Itoa(300000+i))); r.status != 200 {
			t.Fatal(string(r.raw))
		}
	}
	var got []LedgerEntry
	since := int64(0)
	for pages := 0; ; pages++ {
		r := f.do("GET", "/_sandbox/ledger?phone_number_id="+pnidA+"&limit=2&since="+strconv.FormatInt(since, 10), "", nil)
		var page struct {
			Entries   []LedgerEntry `json:"entries"`
			NextSince int64         `json:"next_since"`
			LastSeq   int64         `json:"last_seq"`
		}
		if err := json.Unmarshal(r.raw, &page); err != nil || r.status != http.StatusOK {
			t.Fatalf("%d %s", r.status, r.raw)
		}
		if len(page.Entries) == 0 {
			break
		}
		got = append(got, page.Entries...)
		since = page.NextSince
		if pages > 10 || page.LastSeq != 7 {
			t.Fatalf("paging does not end: %s", r.raw)
		}
	}
	if len(got) != 4 || got[0].Seq != 1 || got[3].Seq != 7 {
		t.Errorf("paged %+v", got)
	}
	if r := f.do("GET", "/_sandbox/ledger?since=x", "", nil); r.status != 400 {
		t.Errorf("bad since: %d", r.status)
	}
	f.s.Reset()
	if n := len(f.s.Ledger("", 0)); n != 0 {
		t.Errorf("after Reset the ledger has %d entries", n)
	}
}
