package components

import (
	"context"
	"strings"
	"testing"

	"github.com/PuerkitoBio/goquery"
	"github.com/a-h/templ"
)

func render(t *testing.T, c templ.Component) *goquery.Document {
	t.Helper()
	var sb strings.Builder
	if err := c.Render(context.Background(), &sb); err != nil {
		t.Fatalf("render: %v", err)
	}
	doc, err := goquery.NewDocumentFromReader(strings.NewReader(sb.String()))
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return doc
}

func TestFieldWiresLabelHintAndError(t *testing.T) {
	doc := render(t, Field(FieldProps{
		Name: "email", Label: "E-mail address", Type: "email", Value: "a@b",
		Hint: "We'll write to it.", Error: "Enter a full address.", Autocomplete: "email", Required: true,
	}))
	field := doc.Find(`[data-testid="field-email"]`)
	if field.Length() != 1 {
		t.Fatal("no field-email hook")
	}
	input := field.Find("input#f-email")
	if input.Length() != 1 {
		t.Fatal("no input#f-email")
	}
	if got := strings.TrimSpace(field.Find(`label[for="f-email"]`).Text()); got != "E-mail address" {
		t.Errorf("label %q", got)
	}
	for attr, want := range map[string]string{
		"type": "email", "name": "email", "value": "a@b", "autocomplete": "email",
		"aria-invalid": "true", "aria-describedby": "f-email-error f-email-hint",
	} {
		if got, _ := input.Attr(attr); got != want {
			t.Errorf("%s = %q, want %q", attr, got, want)
		}
	}
	if _, ok := input.Attr("required"); !ok {
		t.Error("not required")
	}
	if got := field.Find("#f-email-error").Text(); got != "Enter a full address." {
		t.Errorf("error %q", got)
	}
	if field.Find("#f-email-hint").Length() != 1 {
		t.Error("no hint")
	}
}

func TestFieldWithoutErrorAndPasswordNeverRefilled(t *testing.T) {
	doc := render(t, Field(FieldProps{Name: "password", Label: "Password", Type: "password", Value: "secret"}))
	input := doc.Find("input#f-password")
	if v, ok := input.Attr("value"); ok && v != "" {
		t.Errorf("password refilled with %q", v)
	}
	if _, ok := input.Attr("aria-invalid"); ok {
		t.Error("aria-invalid without an error")
	}
	if _, ok := input.Attr("aria-describedby"); ok {
		t.Error("aria-describedby without hint or error")
	}
	if !strings.Contains(doc.Find("label").Text(), "(optional)") {
		t.Error("optional field not marked")
	}
}

func TestFieldSelect(t *testing.T) {
	doc := render(t, Field(FieldProps{
		Name: "country", Label: "Country", Value: "DE", Required: true,
		Options: []Option{{"GB", "United Kingdom"}, {"DE", "Germany"}},
	}))
	sel := doc.Find("select#f-country[name=country]")
	if sel.Length() != 1 {
		t.Fatal("no select")
	}
	if got := sel.Find("option[selected]").AttrOr("value", ""); got != "DE" {
		t.Errorf("selected %q", got)
	}
	if sel.Find(`option[value=""]`).Length() != 0 {
		t.Error("placeholder shown although a required value is chosen")
	}
}

func TestCheckboxLabelWithChildren(t *testing.T) {
	c := Checkbox(CheckboxProps{Name: "accept_terms", Checked: true, Error: "Please accept."})
	ctx := templ.WithChildren(context.Background(), templ.Raw(`I accept the <a href="/terms">Terms</a>`))
	var sb strings.Builder
	if err := c.Render(ctx, &sb); err != nil {
		t.Fatal(err)
	}
	doc, _ := goquery.NewDocumentFromReader(strings.NewReader(sb.String()))
	box := doc.Find(`input[type=checkbox]#f-accept_terms`)
	if _, ok := box.Attr("checked"); !ok {
		t.Error("not checked")
	}
	if box.AttrOr("value", "") != "on" {
		t.Error("value should default to on")
	}
	if box.AttrOr("aria-describedby", "") != "f-accept_terms-error" {
		t.Errorf("aria-describedby %q", box.AttrOr("aria-describedby", ""))
	}
	if doc.Find(`label[for="f-accept_terms"] a`).Length() != 1 {
		t.Error("children not inside the label")
	}
}

func TestConfirmButtonCarriesCSRF(t *testing.T) {
	for _, confirm := range []string{"", "Remove Ana?"} {
		doc := render(t, ConfirmButton(ConfirmButtonProps{
			Action: "/x/1/remove", CSRF: "tok", Text: "Remove", Confirm: confirm, TestID: "remove",
			Hidden: []Hidden{{"back", "team"}},
		}))
		form := doc.Find(`form[method=post][action="/x/1/remove"]`)
		if form.Length() != 1 {
			t.Fatalf("confirm=%q: no POST form", confirm)
		}
		if form.Find(`input[type=hidden][name=_csrf][value=tok]`).Length() != 1 {
			t.Errorf("confirm=%q: no _csrf", confirm)
		}
		if form.Find(`input[type=hidden][name=back][value=team]`).Length() != 1 {
			t.Errorf("confirm=%q: no extra hidden field", confirm)
		}
		if doc.Find(`[data-testid="remove"]`).Length() != 1 {
			t.Errorf("confirm=%q: no test hook", confirm)
		}
		if confirm != "" && doc.Find(`details [data-testid="remove-yes"]`).Length() != 1 {
			t.Error("no final confirm button inside the disclosure")
		}
	}
}

func TestFlashListAndBadge(t *testing.T) {
	doc := render(t, FlashList([]Flash{{"success", "Saved."}, {"error", "Nope."}, {"weird", "Hm."}}))
	flashes := doc.Find(`#flashes [data-testid="flash"]`)
	if flashes.Length() != 3 {
		t.Fatalf("%d flashes", flashes.Length())
	}
	if flashes.Eq(1).AttrOr("role", "") != "alert" || flashes.Eq(0).AttrOr("role", "") != "status" {
		t.Error("roles")
	}
	if flashes.Eq(2).AttrOr("data-kind", "") != "info" {
		t.Error("unknown kind should fold into info")
	}
	// colour is never the only signal: the kind is also a word
	if !strings.Contains(flashes.Eq(1).Text(), "Problem:") {
		t.Error("error flash lacks its word")
	}
	if got := render(t, Badge("delivered", "Delivered")).Find(".badge--success").Text(); got != "Delivered" {
		t.Errorf("badge %q", got)
	}
}

func TestProgressBarAndFormatInt(t *testing.T) {
	doc := render(t, ProgressBar(1500, 2000, "Importing"))
	p := doc.Find("progress")
	if p.AttrOr("value", "") != "1500" || p.AttrOr("max", "") != "2000" || p.AttrOr("aria-label", "") != "Importing" {
		t.Errorf("progress attrs: %v", p.Nodes[0].Attr)
	}
	if !strings.Contains(doc.Text(), "1,500 of 2,000 · 75%") {
		t.Errorf("text %q", doc.Text())
	}
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := FormatInt(n); got != want {
			t.Errorf("FormatInt(%d) = %q", n, got)
		}
	}
}
