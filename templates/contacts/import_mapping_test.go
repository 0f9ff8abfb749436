package contacts

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"

	"tidings/internal/contact"
	"tidings/templates/layout"
)

func TestMappingShowsChoicesWithWhatTheyDependOn(t *testing.T) {
	d := MappingData{
		Import:    contact.Import{ID: 7, Filename: "shop.csv"},
		Preview:   contact.Preview{Encoding: "utf-8", Delimiter: ",", Header: []string{"phone", "name", "tier"}, Rows: [][]string{{"07911 100001", "Ann", "gold"}}},
		CanImport: true,
		Form: MappingForm{Columns: []contact.Column{{Kind: contact.ColPhone}, {Kind: contact.ColName}, {Kind: contact.ColAttribute, Key: "tier"}},
			Country: "GB", Mode: contact.ModeAddNew},
	}
	var sb strings.Builder
	if err := Mapping(layout.Page{Title: "T", CSRF: "tok"}, d).Render(context.Background(), &sb); err != nil {
		t.Fatal(err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatal(err)
	}
	// One custom-field name per column, each in the wrapper the style sheet
	// shows only under a column mapped to a custom field.
	if n := doc.Find(`.import-map th .import-map__key input[name$=".key"]`).Length(); n != 3 {
		t.Errorf("%d wrapped custom-field names, want 3", n)
	}
	if n := doc.Find(`.import-map th input[name$=".key"]`).Length(); n != 3 {
		t.Errorf("%d custom-field names in all, want 3", n)
	}
	upd := doc.Find(`.import-form [data-testid="update-fields"].import-update`)
	if upd.Length() != 1 || !strings.Contains(upd.Find("legend").Text(), "Only for “add and update”") {
		t.Errorf("the overwrite choices are not marked as only for add and update: %q", upd.Find("legend").Text())
	}
	att := doc.Find(`.import-form [data-testid="attestation"].import-attestation`)
	if att.Length() != 1 || !strings.Contains(att.Find("legend").Text(), "required") {
		t.Fatalf("no attestation fieldset saying it is required")
	}
	if strings.Contains(att.Text(), "(optional)") {
		t.Error("an attestation field is labelled optional")
	}
	if n := att.Find(".field__required-when").Length(); n != 4 {
		t.Errorf("%d attestation fields say when they are required, want 4", n)
	}
	if n := att.Find("[required]").Length(); n != 0 {
		t.Errorf("%d attestation controls are required for every import", n)
	}
}
