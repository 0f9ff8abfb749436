package contact

import (
	"fmt"
	"slices"
	"strings"
	"unicode"
)

// Header words people use, in English, Spanish, French, German,
// Portuguese, Italian and Dutch (plus a few common others), after
// headerKey: lower case, accents and everything but letters and digits
// removed.
var (
	phoneHeaders = words("phone phonenumber phoneno mobile mobilephone mobilenumber mobileno cell cellphone cellular tel telephone " +
		"telephonenumber whatsapp whatsappnumber msisdn number contactnumber e164 phonee164 gsm " +
		"telefono numerodetelefono movil numeromovil celular numerocelular whatsappnumero " +
		"numero numerodetelephone telephoneportable portable mobil numtel " +
		"telefon telefonnummer handy handynummer mobilnummer rufnummer " +
		"telefone numerodetelefone telemovel numerodocelular " +
		"cellulare numeroditelefono numerocellulare " +
		"telefoon telefoonnummer mobiel mobielnummer mobielenummer gsmnummer")
	nameHeaders = words("name fullname contactname displayname customername clientname " +
		"nombre nombrecompleto nom nomcomplet vollstandigername vollername nome nomecompleto naam volledigenaam")
	firstHeaders = words("firstname first givenname forename " +
		"primernombre prenom vorname rufname primeironome voornaam")
	lastHeaders = words("lastname last surname familyname " +
		"apellido apellidos nomdefamille nachname familienname sobrenome apelido cognome achternaam")
	emailHeaders = words("email emailaddress mail mailaddress email1 " +
		"correo correoelectronico direcciondecorreo courriel adresseemail adressemail mel " +
		"emailadresse mailadresse enderecodeemail posta postaelettronica indirizzoemail emailadres")
	languageHeaders = words("language lang locale idioma lengua langue sprache lingua taal")
	tagHeaders      = words("tags tag labels label etiquetas etiqueta etiquettes etiquette schlagworte schlagwort stichworte etichette etichetta")
	listHeaders     = words("list lists segment segments group groups lista listas liste listes listen lijst lijsten " +
		"grupo grupos groupe groupes gruppe gruppen gruppo gruppi groep groepen")
)

func words(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

// headerKey reduces a header cell to lower-case letters and digits without
// accents: "Téléphone portable" → "telephoneportable".
func headerKey(s string) string {
	if t, err := stripAccents(s); err == nil {
		s = t
	}
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// headerKind says what a header names, or "" when it is not a known word.
func headerKind(h string) string {
	k := headerKey(h)
	switch {
	case k == "":
		return ""
	case phoneHeaders[k]:
		return ColPhone
	case emailHeaders[k]:
		return ColEmail
	case firstHeaders[k]:
		return ColFirstName
	case lastHeaders[k]:
		return ColLastName
	case nameHeaders[k]:
		return ColName
	case languageHeaders[k]:
		return ColLanguage
	case tagHeaders[k]:
		return ColTags
	case listHeaders[k]:
		return ColList
	}
	// "Mobile phone (work)", "Phone 1", "E-mail address (home)".
	for _, p := range []struct{ prefix, kind string }{{"phone", ColPhone}, {"mobile", ColPhone}, {"whatsapp", ColPhone},
		{"telefon", ColPhone}, {"telephone", ColPhone}, {"email", ColEmail}, {"tag", ColTags}} {
		if strings.HasPrefix(k, p.prefix) {
			return p.kind
		}
	}
	return ""
}

// looksLikeHeader decides whether the first record is a header: it names
// a known column, or it holds no phone-like cell while the next one does.
func looksLikeHeader(first, second []string) bool {
	for _, c := range first {
		if headerKind(c) != "" {
			return true
		}
	}
	if second == nil {
		return false
	}
	return !hasPhoneLike(first) && hasPhoneLike(second)
}

func hasPhoneLike(rec []string) bool {
	for _, c := range rec {
		if phoneLike(c) {
			return true
		}
	}
	return false
}

// phoneLike: mostly digits, at least seven of them.
func phoneLike(s string) bool {
	var digits, other int
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune(" +-.()/", r):
		default:
			other++
		}
	}
	return digits >= 7 && other <= 1
}

// mayBePhone is looser than phoneLike: a cell with six digits or more and
// at least twice as many digits as letters ("tel. 0791 112345 ext 2").
func mayBePhone(s string) bool {
	var digits, letters int
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case unicode.IsLetter(r):
			letters++
		}
	}
	return digits >= 6 && digits >= 2*letters
}

// hasPhoneColumn says whether any column could hold the phone numbers: its
// header names a phone, or one of its sample cells may be a number. It is
// lenient on purpose (an odd header, a few good cells); it only spares the
// user a mapping step for a file that cannot be imported at all.
func hasPhoneColumn(header []string, rows [][]string) bool {
	for _, h := range header {
		if headerKind(h) == ColPhone {
			return true
		}
	}
	for _, r := range rows {
		if slices.ContainsFunc(r, mayBePhone) {
			return true
		}
	}
	return false
}

// guessColumns proposes a mapping from the header (when there is one) and
// the sample rows. Unknown columns are ignored by default: nothing is
// imported that the user did not choose (data minimisation).
func guessColumns(header []string, rows [][]string, hasHeader bool) []Column {
	n := len(header)
	for _, r := range rows {
		n = max(n, len(r))
	}
	cols := make([]Column, n)
	for i := range cols {
		cols[i] = Column{Kind: ColIgnore}
	}
	seen := map[string]bool{}
	if hasHeader {
		for i, h := range header {
			k := headerKind(h)
			if k == "" || ((k != ColTags && k != ColList) && seen[k]) {
				continue
			}
			cols[i].Kind = k
			seen[k] = true
		}
		// "Nom" next to "Prénom" is the family name; "Nombre" next to
		// "Apellido" is the given name.
		for i := range cols {
			if cols[i].Kind != ColName {
				continue
			}
			switch {
			case seen[ColFirstName] && !seen[ColLastName]:
				cols[i].Kind = ColLastName
			case seen[ColLastName] && !seen[ColFirstName]:
				cols[i].Kind = ColFirstName
			}
		}
	}
	// Without a (recognised) phone header, take the column whose cells look
	// most like phone numbers; likewise for e-mail.
	if !slices.ContainsFunc(cols, func(c Column) bool { return c.Kind == ColPhone }) {
		if i := bestColumn(rows, n, phoneLike); i >= 0 && cols[i].Kind == ColIgnore {
			cols[i].Kind = ColPhone
		}
	}
	if !slices.ContainsFunc(cols, func(c Column) bool { return c.Kind == ColEmail }) {
		if i := bestColumn(rows, n, func(s string) bool { return validEmail(strings.ToLower(strings.TrimSpace(s))) }); i >= 0 && cols[i].Kind == ColIgnore {
			cols[i].Kind = ColEmail
		}
	}
	return cols
}

// bestColumn returns the column where most cells satisfy ok (at least
// half of the non-empty ones), or -1.
func bestColumn(rows [][]string, n int, ok func(string) bool) int {
	best, bestN := -1, 0
	for i := range n {
		var hits, filled int
		for _, r := range rows {
			if i < len(r) && strings.TrimSpace(r[i]) != "" {
				filled++
				if ok(r[i]) {
					hits++
				}
			}
		}
		if hits > bestN && hits*2 >= filled {
			best, bestN = i, hits
		}
	}
	return best
}

// AttributeKey turns a header into a custom attribute key: lower case,
// letters, digits and underscores ("Customer ID" → "customer_id").
func AttributeKey(h string) string {
	if t, err := stripAccents(h); err == nil {
		h = t
	}
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(h)) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if under && b.Len() > 0 {
				b.WriteByte('_')
			}
			under = false
			b.WriteRune(r)
		} else {
			under = true
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// validateSettings checks confirmed settings against a file of ncols
// columns and fills defaults; the errors name form fields.
func validateSettings(s *ImportSettings, ncols int) FieldErrors {
	fe := FieldErrors{}
	if len(s.Columns) != ncols {
		fe["columns"] = fmt.Sprintf("Choose what each of the %d columns holds.", ncols)
		return fe
	}
	count := map[string]int{}
	keys := map[string]bool{}
	for i := range s.Columns {
		c := &s.Columns[i]
		switch c.Kind {
		case ColIgnore, ColPhone, ColName, ColFirstName, ColLastName, ColEmail, ColLanguage, ColTags, ColList:
			c.Key = ""
		case ColAttribute:
			c.Key = AttributeKey(c.Key)
			if c.Key == "" {
				fe[fmt.Sprintf("columns.%d", i)] = "Give the custom field a name."
			} else if keys[c.Key] {
				fe[fmt.Sprintf("columns.%d", i)] = fmt.Sprintf("Two columns both go to the custom field “%s”.", c.Key)
			}
			keys[c.Key] = true
		default:
			fe[fmt.Sprintf("columns.%d", i)] = "Choose what this column holds."
		}
		count[c.Kind]++
	}
	switch {
	case count[ColPhone] == 0:
		fe["columns"] = "Choose the column that holds the phone numbers."
	case count[ColPhone] > 1:
		fe["columns"] = "Choose only one column of phone numbers."
	}
	for _, k := range []string{ColName, ColFirstName, ColLastName, ColEmail, ColLanguage} {
		if count[k] > 1 {
			fe["columns"] = fmt.Sprintf("Only one column can hold the %s.", strings.ReplaceAll(k, "_", " "))
		}
	}
	if len(keys) > maxAttributes {
		fe["columns"] = fmt.Sprintf("At most %d custom fields.", maxAttributes)
	}
	s.DefaultCountry = strings.ToUpper(strings.TrimSpace(s.DefaultCountry))
	if !validCountry(s.DefaultCountry) {
		fe["default_country"] = "Choose the country of numbers written without +."
	}
	switch s.Mode {
	case ModeAddNew, ModeSuppress:
		s.UpdateFields = nil
	case ModeAddUpdate:
		for _, f := range s.UpdateFields {
			if !slices.Contains([]string{UpdateName, UpdateEmail, UpdateLanguage, UpdateTags, UpdateAttributes, UpdateLists}, f) {
				fe["update_fields"] = "Choose which fields may be overwritten."
			}
		}
		slices.Sort(s.UpdateFields)
		s.UpdateFields = slices.Compact(s.UpdateFields)
	default:
		fe["mode"] = "Choose what to do with numbers that are already in your contacts."
	}
	if s.Mode == ModeSuppress {
		s.OptedIn = false
	}
	tags, reason := cleanTags(s.Tags)
	if reason != "" {
		fe["tags"] = capitalise(reason) + "."
	}
	s.Tags = tags
	slices.Sort(s.ListIDs)
	s.ListIDs = slices.Compact(s.ListIDs)
	if len(fe) == 0 {
		return nil
	}
	return fe
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// validateAttestation checks a consent attestation.
func validateAttestation(a *Attestation) FieldErrors {
	fe := FieldErrors{}
	a.Method = strings.TrimSpace(a.Method)
	a.CollectedOn = strings.TrimSpace(a.CollectedOn)
	a.LawfulBasis = strings.TrimSpace(a.LawfulBasis)
	a.Wording = strings.TrimSpace(a.Wording)
	if a.Method == "" || len(a.Method) > 500 {
		fe["attestation.method"] = "Say how these people agreed to hear from you (for example: “sign-up form on our website”)."
	}
	if a.CollectedOn == "" || len(a.CollectedOn) > 200 {
		fe["attestation.collected_on"] = "Say when their agreement was collected."
	}
	if !slices.Contains(LawfulBases, a.LawfulBasis) {
		fe["attestation.lawful_basis"] = "Choose the lawful basis."
	}
	if len(a.Wording) < 10 || len(a.Wording) > 5000 {
		fe["attestation.wording"] = "Paste the words people saw when they agreed."
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}
