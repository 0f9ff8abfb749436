package contact

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Encodings the sniffer tells apart.
const (
	EncUTF8        = "utf-8"
	EncUTF8BOM     = "utf-8 (BOM)"
	EncUTF16LE     = "utf-16le"
	EncUTF16BE     = "utf-16be"
	EncWindows1252 = "windows-1252"
)

// sniffBytes is how much of a file the sniffer looks at.
const sniffBytes = 64 << 10

// MaxRecordBytes bounds one row of a file (after decoding). A longer one
// almost always means a quote left open, which would otherwise swallow the
// rest of the file into one cell (and into memory).
const MaxRecordBytes = 1 << 20

// fileFormat is how a file is to be read.
type fileFormat struct {
	Encoding  string
	Delimiter rune
}

var delimiters = []rune{',', ';', '\t', '|'}

// sniffEncoding tells the encoding of a file from its first bytes (all of
// it when atEOF), or a FileProblem.
func sniffEncoding(sample []byte, atEOF bool) (string, error) {
	if len(bytes.TrimSpace(sample)) == 0 && atEOF {
		return "", fileProblem("empty", "The file is empty.")
	}
	switch {
	case bytes.HasPrefix(sample, []byte{0xEF, 0xBB, 0xBF}):
		return EncUTF8BOM, checkDecoded(sample, EncUTF8BOM, atEOF)
	case bytes.HasPrefix(sample, []byte{0xFF, 0xFE}):
		return EncUTF16LE, checkDecoded(sample, EncUTF16LE, atEOF)
	case bytes.HasPrefix(sample, []byte{0xFE, 0xFF}):
		return EncUTF16BE, checkDecoded(sample, EncUTF16BE, atEOF)
	case bytes.HasPrefix(sample, []byte("PK\x03\x04")), bytes.HasPrefix(sample, []byte{0xD0, 0xCF, 0x11, 0xE0}):
		return "", fileProblem("spreadsheet", "This is a spreadsheet (Excel or similar), not a CSV file. Open it and save it as “CSV UTF-8”, then upload that.")
	case bytes.HasPrefix(sample, []byte("%PDF")):
		return "", fileProblem("not_text", "This is a PDF, not a CSV file. Export your contacts as CSV and upload that.")
	}
	// UTF-16 without a byte order mark: every other byte of ASCII text is 0.
	if enc := utf16NoBOM(sample); enc != "" {
		return enc, checkDecoded(sample, enc, atEOF)
	}
	if controlShare(sample) > 0.01 {
		return "", fileProblem("not_text", "This file does not look like text, so it cannot be a CSV file. Export your contacts as CSV and upload that.")
	}
	trimmed := sample
	if !atEOF {
		trimmed = trimPartialRune(sample)
	}
	if utf8.Valid(trimmed) {
		return EncUTF8, nil
	}
	// Not UTF-8: the usual export of older Windows and Excel versions. Every
	// byte means something in Windows-1252, and it is a superset of
	// ISO-8859-1 for printable text.
	return EncWindows1252, nil
}

func utf16NoBOM(b []byte) string {
	n := min(len(b), 4096) &^ 1
	if n < 4 {
		return ""
	}
	var even, odd int
	for i := 0; i < n; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	half := n / 2
	switch {
	case odd > half*6/10 && even < half/10:
		return EncUTF16LE
	case even > half*6/10 && odd < half/10:
		return EncUTF16BE
	}
	return ""
}

func controlShare(b []byte) float64 {
	if len(b) == 0 {
		return 0
	}
	var n int
	for _, c := range b {
		if (c < 0x20 && c != '\t' && c != '\r' && c != '\n' && c != '\f') || c == 0x7F {
			n++
		}
	}
	return float64(n) / float64(len(b))
}

// trimPartialRune drops an incomplete UTF-8 sequence cut off at the end.
func trimPartialRune(b []byte) []byte {
	for i := 1; i <= 3 && i <= len(b); i++ {
		c := b[len(b)-i]
		if c < 0x80 {
			return b
		}
		if c >= 0xC0 { // a lead byte: complete if the sequence fits
			if utf8.FullRune(b[len(b)-i:]) {
				return b
			}
			return b[:len(b)-i]
		}
	}
	return b
}

// checkDecoded decodes the sample and refuses text that is mostly garbage
// (wrong byte order mark, binary behind one).
func checkDecoded(sample []byte, enc string, atEOF bool) error {
	if !atEOF && (enc == EncUTF16LE || enc == EncUTF16BE) {
		sample = sample[:len(sample)&^1]
	}
	text, err := io.ReadAll(decoder(bytes.NewReader(sample), enc))
	if err != nil {
		return fileProblem("encoding", "The file says it is %s but cannot be read as such. Save it again as “CSV UTF-8” and upload that.", strings.ToUpper(enc))
	}
	s := string(text)
	bad := strings.Count(s, "\uFFFD") + strings.Count(s, "\x00")
	if len(s) == 0 && atEOF {
		return fileProblem("empty", "The file is empty.")
	}
	if runes := utf8.RuneCountInString(s); runes > 0 && bad*20 > runes {
		return fileProblem("encoding", "The file says it is %s but much of it cannot be read as such. Save it again as “CSV UTF-8” and upload that.", strings.ToUpper(enc))
	}
	if controlShare([]byte(s)) > 0.01 {
		return fileProblem("not_text", "This file does not look like text, so it cannot be a CSV file. Export your contacts as CSV and upload that.")
	}
	return nil
}

// decoder turns r (a file in enc) into UTF-8, without any byte order mark.
func decoder(r io.Reader, enc string) io.Reader {
	switch enc {
	case EncUTF8BOM:
		return transform.NewReader(r, unicode.UTF8BOM.NewDecoder())
	case EncUTF16LE:
		return transform.NewReader(r, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder())
	case EncUTF16BE:
		return transform.NewReader(r, unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewDecoder())
	case EncWindows1252:
		return transform.NewReader(r, charmap.Windows1252.NewDecoder())
	}
	return r
}

// sniffDelimiter picks the delimiter that splits the sample's lines into
// the most consistent number of fields (more than one); a file with one
// column gets a comma.
func sniffDelimiter(text string, atEOF bool) rune {
	if !atEOF {
		if i := strings.LastIndexByte(text, '\n'); i > 0 {
			text = text[:i+1]
		}
	}
	best, bestScore := ',', 0.0
	for _, d := range delimiters {
		r := csv.NewReader(strings.NewReader(text))
		r.Comma, r.FieldsPerRecord, r.LazyQuotes, r.ReuseRecord = d, -1, true, true
		counts := map[int]int{}
		total := 0
		for total < 200 {
			rec, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				continue
			}
			if isBlank(rec) {
				continue
			}
			counts[len(rec)]++
			total++
		}
		mode, modeN := 0, 0
		for n, c := range counts {
			if c > modeN || (c == modeN && n > mode) {
				mode, modeN = n, c
			}
		}
		if mode < 2 || total == 0 {
			continue
		}
		// Consistency first, then more columns.
		score := float64(modeN)/float64(total) + float64(min(mode, 50))/1000
		if score > bestScore+1e-9 {
			best, bestScore = d, score
		}
	}
	return best
}

func isBlank(rec []string) bool {
	for _, f := range rec {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// DelimiterName spells a delimiter for people.
func DelimiterName(d string) string {
	switch d {
	case ",":
		return "comma"
	case ";":
		return "semicolon"
	case "\t":
		return "tab"
	case "|":
		return "vertical bar"
	}
	return d
}

// recordReader reads the records of a decoded file with their line
// numbers, cleaning every cell into valid UTF-8 without NUL bytes. It
// refuses (as a FileProblem) a record longer than MaxRecordBytes, so memory
// stays flat whatever the file holds.
type recordReader struct {
	csv   *csv.Reader
	guard *guardReader
}

func newRecordReader(r io.Reader, f fileFormat) *recordReader {
	g := &guardReader{r: bufio.NewReaderSize(decoder(r, f.Encoding), 64<<10), limit: MaxRecordBytes}
	c := csv.NewReader(g)
	c.Comma = f.Delimiter
	c.FieldsPerRecord = -1
	// Strict quotes: with LazyQuotes a stray quote silently glues the rows
	// after it into one cell; strictly, the row is rejected with its line.
	c.LazyQuotes = false
	c.ReuseRecord = true
	return &recordReader{csv: c, guard: g}
}

// read returns the next record and the line it starts on. The record is
// reused by the next call. A malformed record comes back with a
// *csv.ParseError and whatever was read of it; io.EOF ends the file.
func (rr *recordReader) read() ([]string, int, error) {
	rr.guard.n = 0
	rec, err := rr.csv.Read()
	if rr.guard.err != nil {
		return nil, 0, rr.guard.err
	}
	if err == io.EOF {
		return nil, 0, io.EOF
	}
	line := 0
	if len(rec) > 0 {
		line, _ = rr.csv.FieldPos(0)
	}
	var pe *csv.ParseError
	if err != nil {
		if !errors.As(err, &pe) {
			return nil, 0, fmt.Errorf("contact: read file: %w", err)
		}
		line = pe.StartLine
	}
	for i, f := range rec {
		rec[i] = cleanCell(f)
	}
	return rec, line, err
}

// cleanCell makes a cell safe to store: valid UTF-8, no NUL bytes.
func cleanCell(s string) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if strings.IndexByte(s, 0) >= 0 {
		s = strings.ReplaceAll(s, "\x00", "")
	}
	return s
}

// guardReader fails once more than limit bytes are read without the
// caller resetting n (once per record).
type guardReader struct {
	r     io.Reader
	n     int
	limit int
	err   error
}

func (g *guardReader) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.n += n
	if g.n > g.limit+len(p) {
		g.err = fileProblem("row_too_long", "A row is longer than %d MB, which usually means a quote (\") was opened and never closed. Check the file and upload it again.", g.limit>>20)
		return 0, g.err
	}
	return n, err
}

// parseErrorReason words a csv.ParseError for the rejected-rows file.
func parseErrorReason(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		switch {
		case errors.Is(pe.Err, csv.ErrBareQuote):
			return "a quote (\") inside a cell that is not quoted"
		case errors.Is(pe.Err, csv.ErrQuote):
			if pe.Line > pe.StartLine {
				return fmt.Sprintf("a quote (\") is not closed properly (lines %d to %d)", pe.StartLine, pe.Line)
			}
			return "a quote (\") is not closed properly"
		}
		return pe.Err.Error()
	}
	return err.Error()
}
