package contact

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

func encode(t testing.TB, s, enc string) []byte {
	var b []byte
	var err error
	switch enc {
	case EncUTF8:
		return []byte(s)
	case EncUTF8BOM:
		return append([]byte{0xEF, 0xBB, 0xBF}, s...)
	case EncUTF16LE:
		b, err = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	case EncUTF16BE:
		b, err = unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	case EncWindows1252:
		b, err = charmap.Windows1252.NewEncoder().Bytes([]byte(s))
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// readAll sniffs data and reads every record, as an import would.
func readAll(data []byte) (fileFormat, [][]string, error) {
	atEOF := len(data) <= sniffBytes
	sample := data[:min(len(data), sniffBytes)]
	enc, err := sniffEncoding(sample, atEOF)
	if err != nil {
		return fileFormat{}, nil, err
	}
	if !atEOF && (enc == EncUTF16LE || enc == EncUTF16BE) {
		sample = sample[:len(sample)&^1]
	}
	text, _ := io.ReadAll(decoder(bytes.NewReader(sample), enc))
	f := fileFormat{Encoding: enc, Delimiter: sniffDelimiter(string(text), atEOF)}
	rr := newRecordReader(bytes.NewReader(data), f)
	var recs [][]string
	for {
		rec, _, err := rr.read()
		if err == io.EOF {
			return f, recs, nil
		}
		var fp *FileProblem
		if errors.As(err, &fp) {
			return f, recs, err
		}
		if err != nil && !isParseError(err) {
			return f, recs, err
		}
		recs = append(recs, append([]string(nil), rec...))
	}
}

func TestSniff(t *testing.T) {
	text := "Prénom;Téléphone;Ville\nZoé;06 12 34 56 78;Besançon\nAndré;06 12 34 56 79;Orléans\n"
	for _, enc := range []string{EncUTF8, EncUTF8BOM, EncUTF16LE, EncUTF16BE, EncWindows1252} {
		f, recs, err := readAll(encode(t, text, enc))
		if err != nil {
			t.Fatalf("%s: %v", enc, err)
		}
		if f.Encoding != enc || f.Delimiter != ';' || len(recs) != 3 || recs[1][0] != "Zoé" || recs[2][2] != "Orléans" {
			t.Errorf("%s: read as %+v: %q", enc, f, recs)
		}
	}
	for _, d := range []string{",", ";", "\t", "|"} {
		text := strings.ReplaceAll("name,phone,note\n\"Smith, J\",07911 123456,a;b|c\nLee,07911 123457,x\n", ",", d)
		if d != "," {
			text = strings.ReplaceAll(text, "\"Smith"+d+" J\"", "\"Smith, J\"")
		}
		f, _, err := readAll([]byte(text))
		if err != nil || string(f.Delimiter) != d {
			t.Errorf("delimiter %q read as %q (%v)", d, f.Delimiter, err)
		}
	}
	// UTF-16 without a byte order mark.
	le := encode(t, "phone,name\n07911 123456,Ann\n", EncUTF16LE)[2:]
	if f, recs, err := readAll(le); err != nil || f.Encoding != EncUTF16LE || recs[1][1] != "Ann" {
		t.Errorf("BOM-less UTF-16: %+v %q %v", f, recs, err)
	}
}

func TestHeaderGuess(t *testing.T) {
	tests := []struct {
		header []string
		want   []string
	}{
		{[]string{"Full Name", "Mobile Number", "E-mail Address", "Labels"}, []string{ColName, ColPhone, ColEmail, ColTags}},
		{[]string{"Nombre", "Apellidos", "Móvil", "Correo electrónico"}, []string{ColFirstName, ColLastName, ColPhone, ColEmail}},
		{[]string{"Prénom", "Nom", "Portable", "Courriel", "Langue"}, []string{ColFirstName, ColLastName, ColPhone, ColEmail, ColLanguage}},
		{[]string{"Vorname", "Nachname", "Handynummer", "E-Mail", "Gruppe"}, []string{ColFirstName, ColLastName, ColPhone, ColEmail, ColList}},
		{[]string{"Nome", "Cognome", "Cellulare", "Indirizzo email"}, []string{ColFirstName, ColLastName, ColPhone, ColEmail}},
		{[]string{"Nome", "Telefone", "Etiquetas"}, []string{ColName, ColPhone, ColTags}},
		{[]string{"Voornaam", "Achternaam", "Telefoonnummer", "Lijst"}, []string{ColFirstName, ColLastName, ColPhone, ColList}},
		{[]string{"Customer ID", "WhatsApp", "Notes"}, []string{ColIgnore, ColPhone, ColIgnore}},
	}
	for _, tc := range tests {
		if got := kinds(guessColumns(tc.header, nil, true)); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%q: %v, want %v", tc.header, got, tc.want)
		}
	}
	// No header: the content decides.
	rows := [][]string{{"Ann", "07911 123456", "ann@example.com"}, {"Ben", "+44 7911 123457", ""}}
	if got := kinds(guessColumns([]string{"Column 1", "Column 2", "Column 3"}, rows, false)); strings.Join(got, ",") != "ignore,phone,email" {
		t.Errorf("content guess %v", got)
	}
	if !looksLikeHeader([]string{"Kunde", "Nummer"}, []string{"Ann", "07911 123456"}) || looksLikeHeader([]string{"Ann", "07911 123456"}, []string{"Ben", "07911 123457"}) {
		t.Error("header detection")
	}
	if AttributeKey(" Shoe Size (EU) ") != "shoe_size_eu" || AttributeKey("Código postal") != "codigo_postal" {
		t.Error("attribute keys")
	}
}

// FuzzReadFile: any bytes are either refused as a file-level problem or
// read into records of valid UTF-8 without NUL bytes; nothing panics.
func FuzzReadFile(f *testing.F) {
	for _, s := range []string{"phone,name\n07911 123456,Ann\n", "a;b;c\n1;2;3\n", "\"unclosed\n", "x\"y,z\n", "\xff\xfea\x00,\x00b\x00",
		"\xfe\xff\x00a\x00,\x00b", "\xef\xbb\xbfa\tb\n", "caf\xe9|na\xefve\n", "PK\x03\x04", "\x00\x01\x02", "", "\n\n,,,\n", "\"a\"\"b\",c\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, recs, err := readAll(data)
		var fp *FileProblem
		if err != nil && !errors.As(err, &fp) {
			t.Fatalf("unexpected error %v", err)
		}
		for _, r := range recs {
			for _, c := range r {
				if !utf8.ValidString(c) || strings.IndexByte(c, 0) >= 0 {
					t.Fatalf("cell %q is not clean", c)
				}
			}
		}
		if len(recs) > 0 {
			p := newRowParser(ImportSettings{Columns: []Column{{Kind: ColPhone}, {Kind: ColName}, {Kind: ColEmail}, {Kind: ColTags}, {Kind: ColAttribute, Key: "k"}, {Kind: ColList}}, DefaultCountry: "GB"})
			var row stagedRow
			for i, r := range recs {
				if p.parse(i+1, r, &row) && row.reason == "" {
					if again, err := NormalisePhone(row.phone, "GB"); err != nil || again != row.phone {
						t.Fatalf("phone %q not stable", row.phone)
					}
					if !json.Valid([]byte(row.attrs)) || row.attrs[0] != '{' {
						t.Fatalf("attrs %q", row.attrs)
					}
				}
			}
		}
	})
}
