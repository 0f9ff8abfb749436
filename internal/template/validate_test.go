package template

import (
	"encoding/json"
	"strings"
	"testing"

	"tidings/internal/whatsapp"
)

func good() Input {
	return Input{Name: "order_update", Language: "en_US", Category: "UTILITY",
		Body: "Hi {{1}}, your order {{2}} is on its way.", Examples: map[string]string{"1": "Ana", "2": "7781"}}
}

// Every rule of Meta's that the form checks, and the words it answers with.
func TestTemplateValidationRules(t *testing.T) {
	long := func(n int) string { return strings.Repeat("a", n) }
	cases := []struct {
		name  string
		edit  func(*Input)
		field string
		want  string // part of the message; "" means valid
	}{
		{"valid positional", func(*Input) {}, "", ""},
		{"valid named", func(in *Input) {
			in.Body = "Hi {{first_name}}, enjoy {{discount}} off."
			in.Examples = map[string]string{"first_name": "Ana", "discount": "20%"}
		}, "", ""},
		{"valid everything", func(in *Input) {
			in.HeaderText, in.HeaderExample, in.Footer = "Order {{1}}", "7781", "Reply STOP to opt out"
			in.Buttons = []ButtonInput{{Type: "quick_reply", Text: "Stop updates"}, {Type: "quick_reply", Text: "Help"},
				{Type: "url", Text: "Track", URL: "https://shop.example.com/t/{{1}}", Example: "7781"},
				{Type: "copy_code", Example: "SPRING25"}}
		}, "", ""},
		{"name missing", func(in *Input) { in.Name = "" }, "name", "Give the template a name"},
		{"name uppercase", func(in *Input) { in.Name = "Order_Update" }, "name", "lowercase letters"},
		{"name with space", func(in *Input) { in.Name = "order update" }, "name", "lowercase letters"},
		{"name too long", func(in *Input) { in.Name = long(513) }, "name", "at most 512"},
		{"language", func(in *Input) { in.Language = "english" }, "language", "Choose the language"},
		{"category", func(in *Input) { in.Category = "PROMO" }, "category", "Marketing"},
		{"authentication", func(in *Input) { in.Category = "authentication" }, "category", "WhatsApp Manager"},
		{"body missing", func(in *Input) { in.Body = " " }, "body", "Write the message text"},
		{"body too long", func(in *Input) { in.Body = "Hi " + long(1030); in.Examples = nil }, "body", "at most 1024"},
		{"gap in numbering", func(in *Input) { in.Body = "Hi {{1}}, order {{3}} is here." }, "body", "{{2}} is missing"},
		{"starts with variable", func(in *Input) { in.Body = "{{1}}, your order {{2}} is here." }, "body", "can't start with a variable"},
		{"ends with variable", func(in *Input) { in.Body = "Hi {{1}}, your order is {{2}}" }, "body", "can't end with a variable"},
		{"adjacent variables", func(in *Input) { in.Body = "Hi {{1}} {{2}}, your order is here." }, "body", "next to each other"},
		{"malformed variable", func(in *Input) { in.Body = "Hi {{1}, your order {{2}} is here." }, "body", "two braces"},
		{"mixed formats", func(in *Input) {
			in.Body = "Hi {{first_name}}, order {{1}} is here."
		}, "body", "not both"},
		{"bad named variable", func(in *Input) {
			in.Body = "Hi {{FirstName}}, welcome."
			in.Examples = map[string]string{"FirstName": "Ana"}
		}, "body", "lowercase letters"},
		{"missing example", func(in *Input) { delete(in.Examples, "2") }, "example.2", "Give an example for {{2}}"},
		{"header too long", func(in *Input) { in.HeaderText = long(61) }, "header", "at most 60"},
		{"header two variables", func(in *Input) { in.HeaderText, in.HeaderExample = "{{1}} and {{2}}", "x" }, "header", "at most one variable"},
		{"header variable numbered", func(in *Input) { in.HeaderText, in.HeaderExample = "Order {{2}}", "x" }, "header", "write {{1}}"},
		{"header example missing", func(in *Input) { in.HeaderText = "Order {{1}}" }, "header_example", "example value for the header"},
		{"footer too long", func(in *Input) { in.Footer = long(61) }, "footer", "at most 60"},
		{"footer variable", func(in *Input) { in.Footer = "Bye {{1}}" }, "footer", "can't have variables"},
		{"too many buttons", func(in *Input) {
			for range 11 {
				in.Buttons = append(in.Buttons, ButtonInput{Type: "QUICK_REPLY", Text: "x"})
			}
		}, "buttons", "at most 10 buttons"},
		{"quick reply label too long", func(in *Input) {
			in.Buttons = []ButtonInput{{Type: "QUICK_REPLY", Text: long(26)}}
		}, "button.0.text", "at most 25"},
		{"button without label", func(in *Input) { in.Buttons = []ButtonInput{{Type: "URL", URL: "https://a.example.com"}} }, "button.0.text", "label"},
		{"duplicate labels", func(in *Input) {
			in.Buttons = []ButtonInput{{Type: "QUICK_REPLY", Text: "Yes"}, {Type: "QUICK_REPLY", Text: "yes"}}
		}, "button.1.text", "same label"},
		{"url not a link", func(in *Input) { in.Buttons = []ButtonInput{{Type: "URL", Text: "Go", URL: "shop"}} }, "button.0.url", "https://"},
		{"url variable not at end", func(in *Input) {
			in.Buttons = []ButtonInput{{Type: "URL", Text: "Go", URL: "https://a.example.com/{{1}}/x", Example: "1"}}
		}, "button.0.url", "very end"},
		{"url two variables", func(in *Input) {
			in.Buttons = []ButtonInput{{Type: "URL", Text: "Go", URL: "https://a.example.com/{{1}}/{{2}}", Example: "1"}}
		}, "button.0.url", "only one variable"},
		{"url example missing", func(in *Input) {
			in.Buttons = []ButtonInput{{Type: "URL", Text: "Go", URL: "https://a.example.com/{{1}}"}}
		}, "button.0.example", "example value"},
		{"three link buttons", func(in *Input) {
			for _, s := range []string{"A", "B", "C"} {
				in.Buttons = append(in.Buttons, ButtonInput{Type: "URL", Text: s, URL: "https://a.example.com/" + s})
			}
		}, "buttons", "at most 2 link buttons"},
		{"copy code too long", func(in *Input) { in.Buttons = []ButtonInput{{Type: "COPY_CODE", Example: long(16)}} }, "button.0.example", "at most 15"},
		{"copy code missing", func(in *Input) { in.Buttons = []ButtonInput{{Type: "COPY_CODE", Text: "x"}} }, "button.0.example", "example of the offer code"},
		{"two copy codes", func(in *Input) {
			in.Buttons = []ButtonInput{{Type: "COPY_CODE", Example: "A1"}, {Type: "COPY_CODE", Example: "B2"}}
		}, "buttons", "one copy-code"},
		{"quick replies split", func(in *Input) {
			in.Buttons = []ButtonInput{{Type: "QUICK_REPLY", Text: "A"}, {Type: "URL", Text: "Go", URL: "https://a.example.com"}, {Type: "QUICK_REPLY", Text: "B"}}
		}, "buttons", "together"},
		{"unknown button kind", func(in *Input) { in.Buttons = []ButtonInput{{Type: "CALL", Text: "Call"}} }, "button.0.text", "kind of button"},
		{"empty button rows ignored", func(in *Input) { in.Buttons = []ButtonInput{{Type: "QUICK_REPLY"}, {}} }, "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			tc.edit(&in)
			fe := Validate(in)
			if tc.want == "" {
				if fe != nil {
					t.Fatalf("valid input refused: %v", map[string]string(fe))
				}
				return
			}
			if got := fe[tc.field]; !strings.Contains(got, tc.want) {
				t.Fatalf("field %s: got %q, want it to contain %q (all: %v)", tc.field, got, tc.want, map[string]string(fe))
			}
		})
	}
}

// A valid input becomes Meta's create request, examples in Meta's shapes.
func TestTemplateBuildRequest(t *testing.T) {
	in := good()
	in.HeaderText, in.HeaderExample, in.Footer = "Order {{1}}", "7781", "Thanks"
	in.Buttons = []ButtonInput{{Type: "URL", Text: "Track", URL: "https://shop.example.com/t/{{1}}", Example: "7781"}}
	in.clean()
	nt, fe := build(in)
	if fe != nil {
		t.Fatal(fe)
	}
	b, _ := json.Marshal(nt)
	for _, want := range []string{`"parameter_format":"POSITIONAL"`, `"header_text":["7781"]`, `"body_text":[["Ana","7781"]]`,
		`"type":"FOOTER","text":"Thanks"`, `"example":["https://shop.example.com/t/7781"]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("request lacks %s:\n%s", want, b)
		}
	}
	in = good()
	in.Body, in.Examples = "Hi {{first_name}}, enjoy {{discount}} off.", map[string]string{"first_name": "Ana", "discount": "20%"}
	in.clean()
	nt, _ = build(in)
	b, _ = json.Marshal(nt)
	if !strings.Contains(string(b), `"body_text_named_params":[{"param_name":"first_name","example":"Ana"},{"param_name":"discount","example":"20%"}]`) ||
		!strings.Contains(string(b), `"parameter_format":"NAMED"`) {
		t.Errorf("named request: %s", b)
	}
	p := PreviewOf(Input{HeaderText: "Order {{1}}", HeaderExample: "7781", Body: "Hi {{1}}, bye {{2}}.", Examples: map[string]string{"1": "Ana"},
		Buttons: []ButtonInput{{Type: "QUICK_REPLY", Text: "Stop"}, {Type: "COPY_CODE", Example: "X"}}})
	if p.Header != "Order 7781" || p.Body != "Hi Ana, bye {{2}}." || len(p.Buttons) != 2 {
		t.Errorf("preview %+v", p)
	}
}

func TestTemplateRender(t *testing.T) {
	tp := Template{Components: []whatsapp.TemplateComponent{{Type: "HEADER", Format: "TEXT", Text: "Order {{1}}"},
		{Type: "BODY", Text: "Hi {{first_name}}, {{first_name}} gets {{discount}}."}, {Type: "FOOTER", Text: "Bye"},
		{Type: "BUTTONS", Buttons: []whatsapp.TemplateButton{{Type: "QUICK_REPLY", Text: "Stop"}}}}}
	p := tp.Render(func(ph whatsapp.Placeholder) string {
		return map[string]string{"header/1": "7781", "body/first_name": "Ana"}[ph.Component+"/"+ph.Name]
	})
	if p.Header != "Order 7781" || p.Body != "Hi Ana, Ana gets {{discount}}." || p.Footer != "Bye" || len(p.Buttons) != 1 {
		t.Errorf("render %+v", p)
	}
	img := Template{Components: []whatsapp.TemplateComponent{{Type: "HEADER", Format: "IMAGE"}, {Type: "BODY", Text: "Hi"}}}
	if p := img.Render(func(whatsapp.Placeholder) string { return "" }); p.Header != "[image]" {
		t.Errorf("media header %q", p.Header)
	}
}
