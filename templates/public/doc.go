// Package public renders the pages anyone may see: the landing page and the
// privacy centre with the published policy and terms.
package public

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"tidings/templates/layout"
)

// PolicyDoc is one published version of a legal document.
type PolicyDoc struct {
	Kind        string // "privacy" or "terms"
	Title       string
	Version     int
	PublishedAt time.Time
	Body        string // plain text, one heading, list item or paragraph per line
}

// BlockKind says how a Block is rendered.
type BlockKind int

// The kinds of block a document body splits into.
const (
	Paragraph  BlockKind = iota // <p>
	Heading                     // <h2>, from "1. Information We Collect"
	Subheading                  // <h3>, from "1.1 Information You Provide"
	List                        // <ul>, from consecutive "- item" lines
)

// Block is one piece of a document body.
type Block struct {
	Kind  BlockKind
	Text  string   // the heading or paragraph text, with the number kept
	ID    string   // anchor for headings: "section-1", "section-1-1"
	Items []string // list items, without the "- "
}

var (
	headingRE    = regexp.MustCompile(`^(\d{1,2})\.\s+(\S.*)$`)
	subheadingRE = regexp.MustCompile(`^(\d{1,2})\.(\d{1,2})\.?\s+(\S.*)$`)
)

// maxHeading keeps a long numbered sentence from becoming a heading.
const maxHeading = 90

// Blocks splits a plain-text body into headings, lists and paragraphs.
// A numbered line ("2. How We Use Information", "1.2 Messaging Data") that
// is short and does not end like a sentence is a heading; lines starting
// "- " are list items, consecutive ones forming one list; every other
// non-blank line is a paragraph.
func Blocks(body string) []Block {
	var out []Block
	for _, line := range strings.Split(strings.ReplaceAll(body, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		if item, ok := strings.CutPrefix(line, "- "); ok {
			item = strings.TrimSpace(item)
			if n := len(out); n > 0 && out[n-1].Kind == List {
				out[n-1].Items = append(out[n-1].Items, item)
			} else {
				out = append(out, Block{Kind: List, Items: []string{item}})
			}
			continue
		}
		if isHeadingText(line) {
			if m := subheadingRE.FindStringSubmatch(line); m != nil {
				out = append(out, Block{Kind: Subheading, Text: line, ID: "section-" + m[1] + "-" + m[2]})
				continue
			}
			if m := headingRE.FindStringSubmatch(line); m != nil {
				out = append(out, Block{Kind: Heading, Text: line, ID: "section-" + m[1]})
				continue
			}
		}
		out = append(out, Block{Kind: Paragraph, Text: line})
	}
	return out
}

func isHeadingText(line string) bool {
	return len(line) <= maxHeading && !strings.HasSuffix(line, ".") && !strings.HasSuffix(line, ":")
}

// headings are the table of contents: the top-level headings only.
func headings(blocks []Block) []Block {
	var hs []Block
	for _, b := range blocks {
		if b.Kind == Heading {
			hs = append(hs, b)
		}
	}
	return hs
}

func published(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2 January 2006")
}

// versionLine is "Version 3, published 1 March 2026."
func versionLine(doc PolicyDoc) string {
	s := "Version " + strconv.Itoa(doc.Version)
	if p := published(doc.PublishedAt); p != "" {
		s += ", published " + p
	}
	return s + "."
}

func operatorName(op layout.Operator) string {
	if op.Name == "" {
		return "the operator of this service"
	}
	return op.Name
}
