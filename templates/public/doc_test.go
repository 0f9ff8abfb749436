package public

import (
	"reflect"
	"testing"
)

func TestBlocks(t *testing.T) {
	body := "1. Information We Collect\r\n" +
		"1.1 Information You Provide\n" +
		"We collect information you provide directly, including:\n" +
		"- Name, email address, phone number\n" +
		"-  Account credentials \n" +
		"\n" +
		"1.2. Messaging Data\n" +
		"- Message content\n" +
		"We act as a service provider (processor) for data you upload.\n" +
		"2. We may update this policy from time to time.\n" +
		"14. Contact Information\n" +
		"Email: you@example.com\n" +
		"-not a list item\n"
	want := []Block{
		{Kind: Heading, Text: "1. Information We Collect", ID: "section-1"},
		{Kind: Subheading, Text: "1.1 Information You Provide", ID: "section-1-1"},
		{Kind: Paragraph, Text: "We collect information you provide directly, including:"},
		{Kind: List, Items: []string{"Name, email address, phone number", "Account credentials"}},
		{Kind: Subheading, Text: "1.2. Messaging Data", ID: "section-1-2"},
		{Kind: List, Items: []string{"Message content"}},
		{Kind: Paragraph, Text: "We act as a service provider (processor) for data you upload."},
		{Kind: Paragraph, Text: "2. We may update this policy from time to time."},
		{Kind: Heading, Text: "14. Contact Information", ID: "section-14"},
		{Kind: Paragraph, Text: "Email: you@example.com"},
		{Kind: Paragraph, Text: "-not a list item"},
	}
	got := Blocks(body)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Blocks:\n got %#v\nwant %#v", got, want)
	}
	if hs := headings(got); len(hs) != 2 || hs[1].ID != "section-14" {
		t.Errorf("headings: %#v", hs)
	}
	if Blocks("") != nil || Blocks("\n \n") != nil {
		t.Error("blank body should give no blocks")
	}
}
