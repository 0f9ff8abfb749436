package contact

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"gorm.io/gorm"
)

// lineWant is the expected outcome of one line of a file: imported,
// updated or skipped (detail: the E.164 number), rejected or duplicate
// (detail: the reason).
type lineWant struct {
	line    int
	outcome string
	detail  string
}

type corpusCase struct {
	file      string
	encoding  string
	delimiter string
	header    bool
	country   string
	adjust    func(cols []Column) // change the guessed mapping
	wantCols  []string            // the guessed kinds, checked before adjust
	lines     []lineWant
	check     func(t *testing.T, e *env, org int64)
}

func imported(line int, phone string) lineWant  { return lineWant{line, "imported", phone} }
func rejected(line int, reason string) lineWant { return lineWant{line, "rejected", reason} }
func duplicate(line, of int) lineWant {
	return lineWant{line, "duplicate", fmt.Sprintf("duplicate of line %d", of)}
}

var corpus = []corpusCase{
	{
		file: "en_gb_comma.csv", encoding: EncUTF8, delimiter: ",", header: true, country: "GB",
		wantCols: []string{ColName, ColPhone, ColEmail, ColTags, ColIgnore, ColIgnore},
		adjust:   func(c []Column) { c[4] = Column{Kind: ColAttribute, Key: "City"} },
		lines: []lineWant{
			imported(2, "+447911123456"),
			rejected(3, "not a valid phone number for GB"),
			imported(4, "+447911123457"),
			rejected(5, "missing phone"),
			imported(6, "+447911123458"),
			imported(7, "+447911123459"),
			duplicate(8, 2),
			imported(9, "+447911123460"),
			rejected(11, "not a valid e-mail address"),
			imported(13, "+14155552671"),
			imported(14, "+447911123462"),
			imported(16, "+448001234567"),
			rejected(17, "not a valid phone number for GB"),
		},
		check: func(t *testing.T, e *env, org int64) {
			c := e.contactByPhone(org, "+447911123456")
			if c.Name != "Alice Smith" || c.Email != "alice@example.com" || !slices.Equal(c.Tags, []string{"retail", "vip"}) || c.Attributes["city"] != "Leeds" {
				t.Errorf("line 2 stored as %+v", c)
			}
			if c := e.contactByPhone(org, "+447911123458"); c.Name != `Eve "E" Evans` || !slices.Equal(c.Tags, []string{"lead", "vip"}) {
				t.Errorf("line 6 stored as %+v", c)
			}
			if c := e.contactByPhone(org, "+447911123459"); c.Name != `=HYPERLINK("http://x")` {
				t.Errorf("a formula cell must be kept as text, got %q", c.Name)
			}
			if c := e.contactByPhone(org, "+447911123460"); c.Name != "Frank Foster" {
				t.Errorf("a quoted line break folds into a space, got %q", c.Name)
			}
		},
	},
	{
		file: "fr_bom_semicolon.csv", encoding: EncUTF8BOM, delimiter: ";", header: true, country: "FR",
		wantCols: []string{ColFirstName, ColLastName, ColPhone, ColEmail},
		lines: []lineWant{
			imported(2, "+33612345678"),
			imported(3, "+33612345679"),
			imported(4, "+33123456789"),
			duplicate(5, 2),
			rejected(6, "not a valid phone number for FR"),
		},
		check: func(t *testing.T, e *env, org int64) {
			if c := e.contactByPhone(org, "+33612345678"); c.Name != "Amélie Poulain" || c.Email != "amelie@exemple.fr" {
				t.Errorf("line 2 stored as %+v", c)
			}
		},
	},
	{
		file: "de_utf16le_tab.csv", encoding: EncUTF16LE, delimiter: "\t", header: true, country: "DE",
		wantCols: []string{ColFirstName, ColLastName, ColPhone, ColEmail, ColLanguage},
		lines: []lineWant{
			imported(2, "+4915112345678"),
			imported(3, "+4915123456789"),
			rejected(4, "not a language code (like en or pt-BR)"),
			rejected(5, "not a valid phone number for DE"),
		},
		check: func(t *testing.T, e *env, org int64) {
			if c := e.contactByPhone(org, "+4915112345678"); c.Name != "Jürgen Müller" || c.Language != "de" {
				t.Errorf("line 2 stored as %+v", c)
			}
			if c := e.contactByPhone(org, "+4915123456789"); c.Name != "Søren Özdemir" || c.Language != "de-AT" {
				t.Errorf("line 3 stored as %+v", c)
			}
		},
	},
	{
		file: "es_utf16be_comma.csv", encoding: EncUTF16BE, delimiter: ",", header: true, country: "ES",
		wantCols: []string{ColFirstName, ColLastName, ColPhone, ColEmail, ColTags},
		lines: []lineWant{
			imported(2, "+34612345678"),
			imported(3, "+34612345679"),
			imported(4, "+34911234567"),
		},
		check: func(t *testing.T, e *env, org int64) {
			if c := e.contactByPhone(org, "+34612345679"); c.Name != "María López" || !slices.Equal(c.Tags, []string{"cliente", "vip"}) {
				t.Errorf("line 3 stored as %+v", c)
			}
			if c := e.contactByPhone(org, "+34911234567"); c.Name != "Íñigo Núñez" {
				t.Errorf("line 4 stored as %+v", c)
			}
		},
	},
	{
		file: "pt_win1252_pipe.csv", encoding: EncWindows1252, delimiter: "|", header: true, country: "BR",
		wantCols: []string{ColName, ColPhone, ColEmail, ColList},
		lines: []lineWant{
			imported(2, "+5511961234567"),
			imported(3, "+5521987654321"),
			rejected(4, "not a valid phone number for BR"),
		},
		check: func(t *testing.T, e *env, org int64) {
			c := e.contactByPhone(org, "+5511961234567")
			if c.Name != "João Conceição" {
				t.Errorf("Windows-1252 read as %q", c.Name)
			}
			lists := e.listNames(org, c.ID)
			if !slices.Equal(lists, []string{"Clientes"}) {
				t.Errorf("lists of line 2: %v", lists)
			}
			c = e.contactByPhone(org, "+5521987654321")
			if lists := e.listNames(org, c.ID); !slices.Equal(lists, []string{"Clientes", "Prospecção"}) {
				t.Errorf("lists of line 3: %v", lists)
			}
		},
	},
	{
		file: "us_noheader.csv", encoding: EncUTF8, delimiter: ",", header: false, country: "US",
		wantCols: []string{ColPhone, ColIgnore},
		adjust:   func(c []Column) { c[1].Kind = ColName },
		lines: []lineWant{
			imported(1, "+14155552671"),
			imported(3, "+14155552672"),
			imported(4, "+14155552673"),
			rejected(5, "not a valid phone number for US"),
			duplicate(6, 1),
		},
		check: func(t *testing.T, e *env, org int64) {
			if c := e.contactByPhone(org, "+14155552672"); c.Name != "Sam Roe" {
				t.Errorf("line 3 stored as %q", c.Name)
			}
		},
	},
	{
		file: "quotes_junk.csv", encoding: EncUTF8, delimiter: ",", header: true, country: "GB",
		wantCols: []string{ColName, ColPhone, ColIgnore},
		lines: []lineWant{
			imported(2, "+447911200001"),
			rejected(3, `a quote (") inside a cell that is not quoted`),
			rejected(4, "the name is longer than 200 characters"),
			imported(5, "+447911200004"),
			imported(6, "+447911200005"),
			imported(8, "+447911200006"),
		},
	},
}

func (e *env) contactByPhone(org int64, phone string) Contact {
	e.t.Helper()
	var rows []contactRow
	e.inOrg(org, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT `+contactCols+` FROM contacts c WHERE c.org_id = ? AND c.phone_e164 = ?`, org, phone).Scan(&rows).Error
	})
	if len(rows) != 1 {
		e.t.Fatalf("no contact %s", phone)
	}
	return rows[0].contact()
}

func (e *env) listNames(org, contactID int64) []string {
	var names []string
	e.inOrg(org, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT l.name FROM contact_lists l JOIN contact_list_members m ON m.org_id = l.org_id AND m.list_id = l.id
			WHERE l.org_id = ? AND m.contact_id = ? ORDER BY l.name`, org, contactID).Scan(&names).Error
	})
	return names
}

func kinds(cols []Column) []string {
	var out []string
	for _, c := range cols {
		out = append(out, c.Kind)
	}
	return out
}

// TestImportCorpus imports each messy file into a fresh org and checks the
// outcome of every line.
func TestImportCorpus(t *testing.T) {
	e := setup(t)
	for _, tc := range corpus {
		t.Run(tc.file, func(t *testing.T) {
			e.t = t
			var org int64
			if err := e.ops.Gorm.Raw(`INSERT INTO orgs (name, industry, company_size, country, time_zone) VALUES ('C', 'retail', '1-10', ?, 'UTC') RETURNING id`, tc.country).Scan(&org).Error; err != nil {
				t.Fatal(err)
			}
			im, err := e.importFile(org, tc.file, readTestdata(t, tc.file), func(p *Preview) ImportSettings {
				if p.Encoding != tc.encoding || p.Delimiter != tc.delimiter || p.HasHeader != tc.header {
					t.Errorf("read as %s, %q, header %v; want %s, %q, %v", p.Encoding, p.Delimiter, p.HasHeader, tc.encoding, tc.delimiter, tc.header)
				}
				if got := kinds(p.Guess); !slices.Equal(got, tc.wantCols) {
					t.Errorf("guessed %v, want %v (header %q)", got, tc.wantCols, p.Header)
				}
				cols := slices.Clone(p.Guess)
				if tc.adjust != nil {
					tc.adjust(cols)
				}
				return ImportSettings{Columns: cols, HasHeader: p.HasHeader, DefaultCountry: tc.country, Mode: ModeAddNew, OptedIn: true}
			}, &testAttestation)
			if err != nil {
				t.Fatal(err)
			}
			if im.Status != StatusFinished {
				t.Fatalf("status %s: %s", im.Status, im.Error)
			}
			e.checkLines(org, im, tc.lines)
			if tc.check != nil {
				tc.check(t, e, org)
			}
		})
	}
}

// checkLines compares every line's outcome with want.
func (e *env) checkLines(org int64, im Import, want []lineWant) {
	t := e.t
	t.Helper()
	got := map[int]string{}
	var rej []struct {
		Line   int
		Reason string
	}
	e.inOrg(org, func(tx *gorm.DB) error {
		return tx.Raw(`SELECT line, reason FROM contact_import_rejects WHERE org_id = ? AND import_id = ?`, org, im.ID).Scan(&rej).Error
	})
	for _, r := range rej {
		kind := "rejected"
		if strings.HasPrefix(r.Reason, "duplicate of line") {
			kind = "duplicate"
		}
		got[r.Line] = kind + ": " + r.Reason
	}
	var counts Counts
	for _, w := range want {
		switch w.outcome {
		case "rejected", "duplicate":
			if g := got[w.line]; g != w.outcome+": "+w.detail {
				t.Errorf("line %d: got %q, want %s: %s", w.line, g, w.outcome, w.detail)
			}
			delete(got, w.line)
			if w.outcome == "rejected" {
				counts.Rejected++
			} else {
				counts.Duplicate++
			}
		default:
			if g, ok := got[w.line]; ok {
				t.Errorf("line %d: got %q, want %s %s", w.line, g, w.outcome, w.detail)
				delete(got, w.line)
				continue
			}
			c := e.contactByPhone(org, w.detail)
			touched := slices.Contains(c.ImportIDs, im.ID)
			created := len(c.ImportIDs) > 0 && c.ImportIDs[0] == im.ID
			switch w.outcome {
			case "imported":
				counts.Imported++
				if !created {
					t.Errorf("line %d: %s was not created by this import (sources %v)", w.line, w.detail, c.ImportIDs)
				}
			case "updated":
				counts.Updated++
				if created || !touched {
					t.Errorf("line %d: %s was not updated by this import (sources %v)", w.line, w.detail, c.ImportIDs)
				}
			case "skipped":
				counts.Skipped++
				if touched {
					t.Errorf("line %d: %s was changed by this import", w.line, w.detail)
				}
			}
		}
		counts.Read++
	}
	var extra []int
	for l := range got {
		extra = append(extra, l)
	}
	sort.Ints(extra)
	for _, l := range extra {
		t.Errorf("line %d: unexpected %s", l, got[l])
	}
	if im.Counts != counts {
		t.Errorf("counts %+v, want %+v", im.Counts, counts)
	}
}
