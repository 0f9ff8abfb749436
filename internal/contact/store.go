package contact

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
	"gorm.io/gorm"

	"tidings/internal/audit"

	"tidings/internal/platform/db"
)

// Filter selects contacts; the zero Filter selects all of an org's.
type Filter struct {
	// Query matches a phone number (digits, from the start of the E.164 form
	// or anywhere in it), or part of the name or e-mail address.
	Query      string
	Tag        string
	ListID     int64
	Consent    ConsentState // "" for any
	Restricted *bool        // nil for any
	// Attribute names a custom field (any spelling AttributeKey folds to
	// the stored key). With AttributeValue, contacts whose field equals it,
	// ignoring case and surrounding spaces, whatever its JSON type; without,
	// contacts that have the field at all.
	Attribute      string
	AttributeValue string
}

// Empty reports whether f selects every contact of the org.
func (f Filter) Empty() bool {
	return strings.TrimSpace(f.Query) == "" && f.Tag == "" && f.ListID == 0 && f.Consent == "" && f.Restricted == nil &&
		AttributeKey(f.Attribute) == ""
}

// Page asks for one keyset page of contacts, newest first.
type Page struct {
	// After is the Next of the previous page (0 for the first page).
	After int64
	Limit int // default 50, at most 500
}

// ContactPage is one page of contacts; Next is 0 on the last page.
type ContactPage struct {
	Contacts []Contact
	Next     int64
}

// ContactDetail is one contact with its lists and consent timeline
// (oldest first).
type ContactDetail struct {
	Contact
	Lists    []List
	Timeline []ConsentEvent
}

// ContactInput is what a person types to create or edit a contact.
type ContactInput struct {
	Phone string
	// Country reads a Phone without + (ISO 3166 alpha-2); empty means the
	// organisation's country.
	Country    string
	Name       string
	Email      string
	Language   string
	Attributes map[string]string
	Tags       []string
	ListIDs    []int64 // Create only; use AddToList / RemoveFromList later
	// Consent, on Create, records how the person agreed (or refused).
	Consent *ConsentInput
}

// ConsentInput is one consent event to record.
type ConsentInput struct {
	Kind        string // EventOptIn, EventOptOut, EventRestricted, EventUnrestricted
	Source      string // SourceManual from the app; SourceContact, SourcePrivacyRequest from other rooms
	LawfulBasis string // for opt-ins: one of LawfulBases
	Evidence    string // how it was given ("told us on the phone on 3 March")
	At          time.Time
}

const contactCols = `c.org_id, c.id, c.phone_e164, c.name, c.email, c.language, c.attributes, to_json(c.tags) AS tags,
  c.consent_state, c.restricted, to_json(c.import_ids) AS import_ids, coalesce(c.created_by, 0) AS created_by, c.created_at, c.updated_at`

type contactRow struct {
	OrgID        int64
	ID           int64
	PhoneE164    string
	Name         string
	Email        string
	Language     string
	Attributes   jsonMap
	Tags         jsonStrings
	ConsentState string
	Restricted   bool
	ImportIDs    jsonInts
	CreatedBy    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (r contactRow) contact() Contact {
	c := Contact{OrgID: r.OrgID, ID: r.ID, PhoneE164: r.PhoneE164, Name: r.Name, Email: r.Email, Language: r.Language,
		Attributes: r.Attributes, Tags: r.Tags, ConsentState: ConsentState(r.ConsentState), Restricted: r.Restricted,
		ImportIDs: r.ImportIDs, CreatedBy: r.CreatedBy, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	if c.Attributes == nil {
		c.Attributes = map[string]string{}
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	return c
}

// where renders f as SQL conditions on contacts c of org (named params),
// reading the org's country when the search is a phone number.
func (f Filter) where(tx *gorm.DB, orgID int64, args map[string]any) (string, error) {
	conds := []string{"c.org_id = @org"}
	args["org"] = orgID
	if q := strings.TrimSpace(f.Query); q != "" {
		if digits, ok := phoneQuery(q); ok {
			// Prefixes of the E.164 form only, so the unique index serves
			// them: "+44 7911…" and "0044 7911…" as typed; "07911…" in the
			// org's country; bare "447911…" either way.
			intl := strings.HasPrefix(q, "+") || strings.HasPrefix(digits, "00")
			digits = strings.TrimPrefix(digits, "00")
			prefixes := []string{"+" + digits + "%"}
			if !intl {
				country, err := orgCountry(tx, orgID)
				if err != nil {
					return "", err
				}
				if cc := phonenumbers.GetCountryCodeForRegion(country); cc > 0 {
					national := "+" + strconv.Itoa(cc) + strings.TrimPrefix(digits, "0") + "%"
					if strings.HasPrefix(digits, "0") {
						prefixes = []string{national}
					} else {
						prefixes = append(prefixes, national)
					}
				}
			}
			var ors []string
			for i, p := range prefixes {
				name := "qphone" + strconv.Itoa(i)
				args[name] = p
				ors = append(ors, "c.phone_e164 LIKE @"+name)
			}
			conds = append(conds, "("+strings.Join(ors, " OR ")+")")
		} else {
			conds = append(conds, "(c.name ILIKE @qtext OR c.email LIKE @qemail)")
			args["qtext"] = "%" + likeEscape(q) + "%"
			args["qemail"] = "%" + likeEscape(strings.ToLower(q)) + "%"
		}
	}
	if f.Tag != "" {
		conds = append(conds, "c.tags @> @tag")
		args["tag"] = db.TextArray{cleanText(f.Tag)}
	}
	if f.ListID > 0 {
		conds = append(conds, "EXISTS (SELECT 1 FROM contact_list_members m WHERE m.org_id = c.org_id AND m.list_id = @list AND m.contact_id = c.id)")
		args["list"] = f.ListID
	}
	if f.Consent != "" {
		conds = append(conds, "c.consent_state = @consent")
		args["consent"] = string(f.Consent)
	}
	if f.Restricted != nil {
		conds = append(conds, "c.restricted = @restricted")
		args["restricted"] = *f.Restricted
	}
	if key := AttributeKey(f.Attribute); key != "" {
		args["akey"] = key
		if v := strings.TrimSpace(f.AttributeValue); v != "" {
			// ->> reads numbers and booleans as text too, so "42" finds a
			// typed 42. No index serves this; the org_id range bounds it.
			conds = append(conds, "lower(c.attributes ->> CAST(@akey AS text)) = lower(@aval)")
			args["aval"] = v
		} else {
			conds = append(conds, "jsonb_exists(c.attributes, CAST(@akey AS text))")
		}
	}
	return strings.Join(conds, " AND "), nil
}

// phoneQuery reads a search that is a phone number (fragment): the digits
// and true.
func phoneQuery(q string) (string, bool) {
	q = strings.TrimPrefix(q, "+")
	var b strings.Builder
	for _, r := range q {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case strings.ContainsRune(" -.()/", r):
		default:
			return "", false
		}
	}
	return b.String(), b.Len() >= 3
}

// List returns one keyset page of the org's contacts matching f, newest
// first. Each page is an index range scan on (org_id, id), so it costs the
// same on page 1 and page 20,000.
func (s *Service) List(ctx context.Context, orgID int64, f Filter, p Page) (ContactPage, error) {
	limit := p.Limit
	if limit <= 0 {
		limit = 50
	}
	limit = min(limit, 500)
	var out ContactPage
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		args := map[string]any{"limit": limit + 1}
		where, err := f.where(tx, orgID, args)
		if err != nil {
			return err
		}
		if p.After > 0 {
			where += " AND c.id < @after"
			args["after"] = p.After
		}
		var rows []contactRow
		if err := tx.Raw(`SELECT `+contactCols+` FROM contacts c WHERE `+where+` ORDER BY c.id DESC LIMIT @limit`, args).Scan(&rows).Error; err != nil {
			return fmt.Errorf("contact: list: %w", err)
		}
		for i, r := range rows {
			if i == limit {
				out.Next = out.Contacts[limit-1].ID
				break
			}
			out.Contacts = append(out.Contacts, r.contact())
		}
		return nil
	})
	return out, err
}

// Count counts the org's contacts matching f: what a bulk action would
// touch. It reads every matching row, so call it for a confirmation step,
// not on every page load.
func (s *Service) Count(ctx context.Context, orgID int64, f Filter) (int64, error) {
	var n int64
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		args := map[string]any{}
		where, err := f.where(tx, orgID, args)
		if err != nil {
			return err
		}
		if err := tx.Raw(`SELECT count(*) FROM contacts c WHERE `+where, args).Scan(&n).Error; err != nil {
			return fmt.Errorf("contact: count: %w", err)
		}
		return nil
	})
	return n, err
}

// ConsentCounts counts the org's contacts by consent state (and restricted).
// It reads the whole table: use it for summaries, not on every page load of
// a very large org.
func (s *Service) ConsentCounts(ctx context.Context, orgID int64) (map[string]int64, error) {
	out := map[string]int64{string(ConsentUnknown): 0, string(ConsentOptedIn): 0, string(ConsentOptedOut): 0, "restricted": 0}
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		var rows []struct {
			State string
			N     int64
			R     int64
		}
		if err := tx.Raw(`SELECT consent_state AS state, count(*) AS n, count(*) FILTER (WHERE restricted) AS r
			FROM contacts WHERE org_id = ? GROUP BY consent_state`, orgID).Scan(&rows).Error; err != nil {
			return fmt.Errorf("contact: count: %w", err)
		}
		for _, r := range rows {
			out[r.State] = r.N
			out["restricted"] += r.R
		}
		return nil
	})
	return out, err
}

// Get returns one contact with its lists and consent timeline.
func (s *Service) Get(ctx context.Context, orgID, id int64) (ContactDetail, error) {
	var d ContactDetail
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		c, err := getContact(tx, orgID, id)
		if err != nil {
			return err
		}
		d.Contact = c
		if err := tx.Raw(`SELECT l.id, l.name, l.description, l.created_at, l.updated_at FROM contact_lists l
			JOIN contact_list_members m ON m.org_id = l.org_id AND m.list_id = l.id
			WHERE l.org_id = ? AND m.contact_id = ? ORDER BY lower(l.name)`, orgID, id).Scan(&d.Lists).Error; err != nil {
			return fmt.Errorf("contact: lists of contact: %w", err)
		}
		var evs []struct {
			ConsentEvent
			AMethod, ACollectedOn, ALawfulBasis, AWording sql.NullString
			AAttestedBy                                   sql.NullInt64
			AAttestedAt                                   sql.NullTime
		}
		if err := tx.Raw(`SELECT e.id, e.contact_id, e.kind, e.source, e.lawful_basis, e.evidence,
				coalesce(e.attestation_id, 0) AS attestation_id, coalesce(e.import_id, 0) AS import_id,
				coalesce(e.actor_user_id, 0) AS actor_user_id, e.at,
				a.method AS a_method, a.collected_on AS a_collected_on, a.lawful_basis AS a_lawful_basis,
				a.wording AS a_wording, a.attested_by AS a_attested_by, a.attested_at AS a_attested_at
			FROM contact_consent_events e
			LEFT JOIN consent_attestations a ON a.org_id = e.org_id AND a.id = e.attestation_id
			WHERE e.org_id = ? AND e.contact_id = ? ORDER BY e.at, e.id`, orgID, id).Scan(&evs).Error; err != nil {
			return fmt.Errorf("contact: consent timeline: %w", err)
		}
		for _, e := range evs {
			ev := e.ConsentEvent
			if e.AMethod.Valid {
				ev.Attestation = &Attestation{ID: ev.AttestationID, Method: e.AMethod.String, CollectedOn: e.ACollectedOn.String,
					LawfulBasis: e.ALawfulBasis.String, Wording: e.AWording.String, AttestedBy: e.AAttestedBy.Int64, AttestedAt: e.AAttestedAt.Time}
			}
			d.Timeline = append(d.Timeline, ev)
		}
		return nil
	})
	return d, err
}

func getContact(tx *gorm.DB, orgID, id int64) (Contact, error) {
	var rows []contactRow
	if err := tx.Raw(`SELECT `+contactCols+` FROM contacts c WHERE c.org_id = ? AND c.id = ?`, orgID, id).Scan(&rows).Error; err != nil {
		return Contact{}, fmt.Errorf("contact: get: %w", err)
	}
	if len(rows) == 0 {
		return Contact{}, ErrNotFound
	}
	return rows[0].contact(), nil
}

// orgCountry is the org's default country for numbers without +.
func orgCountry(tx *gorm.DB, orgID int64) (string, error) {
	var cc string
	if err := tx.Raw(`SELECT country FROM orgs WHERE id = ?`, orgID).Scan(&cc).Error; err != nil {
		return "", fmt.Errorf("contact: org country: %w", err)
	}
	return strings.TrimSpace(cc), nil
}

// clean validates in, filling the normalised phone and cleaned fields.
func (in *ContactInput) clean(country string) (FieldErrors, string) {
	fe := FieldErrors{}
	if in.Country != "" {
		country = in.Country
	}
	e164, err := NormalisePhone(in.Phone, country)
	if err != nil {
		fe["phone"] = capitalise(err.Error()) + "."
	}
	in.Name = cleanText(in.Name)
	if utf8.RuneCountInString(in.Name) > maxNameLen {
		fe["name"] = fmt.Sprintf("At most %d characters.", maxNameLen)
	}
	in.Email = strings.ToLower(strings.TrimSpace(in.Email))
	if in.Email != "" && !validEmail(in.Email) {
		fe["email"] = "This is not a valid e-mail address."
	}
	if l, ok := cleanLanguage(in.Language); ok {
		in.Language = l
	} else {
		fe["language"] = "Use a language code like en or pt-BR."
	}
	tags, reason := cleanTags(in.Tags)
	if reason != "" {
		fe["tags"] = capitalise(reason) + "."
	}
	in.Tags = tags
	attrs := map[string]string{}
	for k, v := range in.Attributes {
		key, v := AttributeKey(k), strings.TrimSpace(v)
		if key == "" || v == "" {
			continue
		}
		if utf8.RuneCountInString(v) > maxAttrLen {
			fe["attributes."+key] = fmt.Sprintf("At most %d characters.", maxAttrLen)
		}
		attrs[key] = v
	}
	if len(attrs) > maxAttributes {
		fe["attributes"] = fmt.Sprintf("At most %d custom fields.", maxAttributes)
	}
	in.Attributes = attrs
	if len(fe) == 0 {
		return nil, e164
	}
	return fe, e164
}

func attrsJSON(m map[string]string) string {
	b := []byte{'{'}
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, k)
		b = append(b, ':')
		b = appendJSONString(b, m[k])
	}
	return string(append(b, '}'))
}

func (c *ConsentInput) validate(prefix string) FieldErrors {
	fe := FieldErrors{}
	switch c.Kind {
	case EventOptIn, EventOptOut, EventRestricted, EventUnrestricted:
	default:
		fe[prefix+"kind"] = "Choose what changed."
	}
	switch c.Source {
	case "":
		c.Source = SourceManual
	case SourceManual, SourceContact, SourcePrivacyRequest, SourceImport:
	default:
		fe[prefix+"source"] = "Unknown source."
	}
	c.Evidence = strings.TrimSpace(c.Evidence)
	c.LawfulBasis = strings.TrimSpace(c.LawfulBasis)
	if c.Kind == EventOptIn {
		if !slices.Contains(LawfulBases, c.LawfulBasis) {
			fe[prefix+"lawful_basis"] = "Choose the lawful basis."
		}
		if c.Evidence == "" && c.Source == SourceManual {
			fe[prefix+"evidence"] = "Say how and when this person agreed."
		}
	}
	if len(c.Evidence) > 2000 {
		fe[prefix+"evidence"] = "At most 2,000 characters."
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// Create adds a contact typed in by userID.
func (s *Service) Create(ctx context.Context, orgID, userID int64, in ContactInput) (Contact, error) {
	var out Contact
	now := s.clock.Now()
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		country, err := orgCountry(tx, orgID)
		if err != nil {
			return err
		}
		fe, e164 := in.clean(country)
		if in.Consent != nil {
			if in.Consent.At.IsZero() {
				in.Consent.At = now
			}
			for k, v := range in.Consent.validate("consent.") {
				if fe == nil {
					fe = FieldErrors{}
				}
				fe[k] = v
			}
		}
		if fe != nil {
			return fe
		}
		var id int64
		err = tx.Raw(`INSERT INTO contacts (org_id, phone_e164, name, email, language, attributes, tags, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?) RETURNING id`,
			orgID, e164, in.Name, in.Email, in.Language, attrsJSON(in.Attributes), db.TextArray(in.Tags), nullID(userID), now, now).Scan(&id).Error
		if isDuplicate(err) {
			return FieldErrors{"phone": "This number is already in your contacts."}
		}
		if err != nil {
			return fmt.Errorf("contact: create: %w", err)
		}
		if err := addMembers(tx, orgID, in.ListIDs, []int64{id}, now); err != nil {
			return err
		}
		if in.Consent != nil {
			if err := appendConsent(tx, orgID, userID, []int64{id}, *in.Consent, now); err != nil {
				return err
			}
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.create", Target: "contact:" + strconv.FormatInt(id, 10), At: now}); err != nil {
			return err
		}
		out, err = getContact(tx, orgID, id)
		return err
	})
	return out, err
}

// Update changes a contact's phone, name, e-mail, language, custom fields
// and tags (lists and consent have their own calls).
func (s *Service) Update(ctx context.Context, orgID, userID, id int64, in ContactInput) (Contact, error) {
	var out Contact
	now := s.clock.Now()
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		country, err := orgCountry(tx, orgID)
		if err != nil {
			return err
		}
		fe, e164 := in.clean(country)
		if fe != nil {
			return fe
		}
		res := tx.Exec(`UPDATE contacts SET phone_e164 = ?, name = ?, email = ?, language = ?, attributes = ?::jsonb, tags = ?, updated_at = ?
			WHERE org_id = ? AND id = ?`, e164, in.Name, in.Email, in.Language, attrsJSON(in.Attributes), db.TextArray(in.Tags), now, orgID, id)
		if isDuplicate(res.Error) {
			return FieldErrors{"phone": "Another contact already has this number."}
		}
		if res.Error != nil {
			return fmt.Errorf("contact: update: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.update", Target: "contact:" + strconv.FormatInt(id, 10), At: now}); err != nil {
			return err
		}
		out, err = getContact(tx, orgID, id)
		return err
	})
	return out, err
}

// Delete erases a contact with its list memberships and consent ledger.
func (s *Service) Delete(ctx context.Context, orgID, userID, id int64) error {
	return s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		n, err := deleteWhere(tx, "c.org_id = @org AND c.id = @id", map[string]any{"org": orgID, "id": id})
		if err != nil {
			return err
		}
		if n == 0 {
			return ErrNotFound
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.delete", Target: "contact:" + strconv.FormatInt(id, 10), At: s.clock.Now()})
	})
}

// deleteWhere deletes the contacts matching where, set-based, with their
// memberships and ledger.
func deleteWhere(tx *gorm.DB, where string, args map[string]any) (int64, error) {
	var r struct{ N, Erased int64 }
	err := tx.Raw(`WITH d AS (DELETE FROM contacts c WHERE `+where+` RETURNING c.id),
		m AS (DELETE FROM contact_list_members m WHERE m.org_id = @org AND m.contact_id IN (SELECT id FROM d))
		SELECT count(*) AS n, contact_erase_consent(coalesce(array_agg(id), '{}')) AS erased FROM d`, args).Scan(&r).Error
	if err != nil {
		return 0, fmt.Errorf("contact: delete: %w", err)
	}
	return r.N, nil
}

// BulkDelete erases every contact matching f; it returns how many.
func (s *Service) BulkDelete(ctx context.Context, orgID, userID int64, f Filter) (int64, error) {
	var n int64
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		args := map[string]any{}
		where, err := f.where(tx, orgID, args)
		if err != nil {
			return err
		}
		if n, err = deleteWhere(tx, where, args); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.bulk_delete", Detail: map[string]any{"count": n, "filter": f.describe()}, At: s.clock.Now()})
	})
	return n, err
}

// BulkTag adds (or, with add false, removes) tags on every contact matching
// f; it returns how many contacts changed.
func (s *Service) BulkTag(ctx context.Context, orgID, userID int64, f Filter, tags []string, add bool) (int64, error) {
	tags, reason := cleanTags(tags)
	if reason != "" {
		return 0, FieldErrors{"tags": capitalise(reason) + "."}
	}
	if len(tags) == 0 {
		return 0, FieldErrors{"tags": "Type at least one tag."}
	}
	var n int64
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		args := map[string]any{"tags": db.TextArray(tags), "now": s.clock.Now()}
		where, err := f.where(tx, orgID, args)
		if err != nil {
			return err
		}
		var q string
		if add {
			q = `UPDATE contacts c SET tags = ARRAY(SELECT DISTINCT x COLLATE "C" FROM unnest(c.tags || CAST(@tags AS text[])) x ORDER BY 1), updated_at = @now
				WHERE ` + where + ` AND NOT c.tags @> CAST(@tags AS text[])`
		} else {
			q = `UPDATE contacts c SET tags = ARRAY(SELECT t FROM unnest(c.tags) t WHERE t <> ALL (CAST(@tags AS text[])) ORDER BY t COLLATE "C"), updated_at = @now
				WHERE ` + where + ` AND c.tags && CAST(@tags AS text[])`
		}
		res := tx.Exec(q, args)
		if res.Error != nil {
			return fmt.Errorf("contact: bulk tag: %w", res.Error)
		}
		n = res.RowsAffected
		action := "contact.bulk_tag"
		if !add {
			action = "contact.bulk_untag"
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: action, Detail: map[string]any{"count": n, "filter": f.describe()}, At: s.clock.Now()})
	})
	return n, err
}

// BulkAddToList adds every contact matching f to a list.
func (s *Service) BulkAddToList(ctx context.Context, orgID, userID int64, f Filter, listID int64) (int64, error) {
	var n int64
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		if err := listExists(tx, orgID, listID); err != nil {
			return err
		}
		args := map[string]any{"listid": listID, "now": s.clock.Now()}
		where, err := f.where(tx, orgID, args)
		if err != nil {
			return err
		}
		res := tx.Exec(`INSERT INTO contact_list_members (org_id, list_id, contact_id, added_at)
			SELECT c.org_id, @listid, c.id, @now FROM contacts c WHERE `+where+`
			ON CONFLICT DO NOTHING`, args)
		if res.Error != nil {
			return fmt.Errorf("contact: bulk add to list: %w", res.Error)
		}
		n = res.RowsAffected
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.bulk_list_add",
			Target: "list:" + strconv.FormatInt(listID, 10), Detail: map[string]any{"count": n, "filter": f.describe()}, At: s.clock.Now()})
	})
	return n, err
}

// describe summarises a filter for the audit log without personal data.
func (f Filter) describe() map[string]any {
	d := map[string]any{}
	if f.Query != "" {
		d["search"] = true
	}
	if f.Tag != "" {
		d["tag"] = true
	}
	if f.ListID != 0 {
		d["list"] = f.ListID
	}
	if f.Consent != "" {
		d["consent"] = string(f.Consent)
	}
	if f.Restricted != nil {
		d["restricted"] = *f.Restricted
	}
	if AttributeKey(f.Attribute) != "" {
		d["attribute"] = true
	}
	return d
}

// RecordConsent appends one event to a contact's consent ledger and
// updates its current state (see DeriveConsent).
func (s *Service) RecordConsent(ctx context.Context, orgID, userID, contactID int64, in ConsentInput) (Contact, error) {
	var out Contact
	now := s.clock.Now()
	if in.At.IsZero() {
		in.At = now
	}
	if fe := in.validate(""); fe != nil {
		return out, fe
	}
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		if _, err := getContact(tx, orgID, contactID); err != nil {
			return err
		}
		if err := appendConsent(tx, orgID, userID, []int64{contactID}, in, now); err != nil {
			return err
		}
		if err := audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "contact.consent." + in.Kind,
			Target: "contact:" + strconv.FormatInt(contactID, 10), Detail: map[string]any{"source": in.Source}, At: now}); err != nil {
			return err
		}
		var err error
		out, err = getContact(tx, orgID, contactID)
		return err
	})
	return out, err
}

func appendConsent(tx *gorm.DB, orgID, userID int64, ids []int64, in ConsentInput, now time.Time) error {
	if err := tx.Exec(`INSERT INTO consent_events (org_id, contact_id, kind, source, lawful_basis, evidence, actor_user_id, at)
		SELECT ?, id, ?, ?, ?, ?, ?, ? FROM unnest(?::bigint[]) id`,
		orgID, in.Kind, in.Source, in.LawfulBasis, in.Evidence, nullID(userID), in.At, db.Int64Array(ids)).Error; err != nil {
		return fmt.Errorf("contact: record consent: %w", err)
	}
	return refreshConsent(tx, orgID, ids, now)
}

func nullID(id int64) any {
	if id <= 0 {
		return nil
	}
	return id
}

// Lists returns the org's lists with their member counts, by name.
func (s *Service) Lists(ctx context.Context, orgID int64) ([]List, error) {
	var out []List
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT l.id, l.name, l.description, l.created_at, l.updated_at,
				(SELECT count(*) FROM contact_list_members m WHERE m.org_id = l.org_id AND m.list_id = l.id) AS members
			FROM contact_lists l WHERE l.org_id = ? ORDER BY lower(l.name), l.id`, orgID).Scan(&out).Error; err != nil {
			return fmt.Errorf("contact: lists: %w", err)
		}
		return nil
	})
	return out, err
}

// GetList returns one of the org's lists with its member count.
func (s *Service) GetList(ctx context.Context, orgID, id int64) (List, error) {
	var out []List
	err := s.tenant.InOrg(ctx, orgID, 0, func(tx *gorm.DB) error {
		if err := tx.Raw(`SELECT l.id, l.name, l.description, l.created_at, l.updated_at,
				(SELECT count(*) FROM contact_list_members m WHERE m.org_id = l.org_id AND m.list_id = l.id) AS members
			FROM contact_lists l WHERE l.org_id = ? AND l.id = ?`, orgID, id).Scan(&out).Error; err != nil {
			return fmt.Errorf("contact: get list: %w", err)
		}
		return nil
	})
	if err != nil {
		return List{}, err
	}
	if len(out) == 0 {
		return List{}, ErrNotFound
	}
	return out[0], nil
}

func cleanListInput(name, desc string) (string, string, FieldErrors) {
	name, desc = cleanText(name), strings.TrimSpace(desc)
	fe := FieldErrors{}
	if name == "" || utf8.RuneCountInString(name) > maxListName {
		fe["name"] = fmt.Sprintf("Give the list a name of at most %d characters.", maxListName)
	}
	if len(desc) > 2000 {
		fe["description"] = "At most 2,000 characters."
	}
	if len(fe) > 0 {
		return name, desc, fe
	}
	return name, desc, nil
}

// CreateList adds a list; names are unique in an org, ignoring case.
func (s *Service) CreateList(ctx context.Context, orgID, userID int64, name, description string) (List, error) {
	name, description, fe := cleanListInput(name, description)
	if fe != nil {
		return List{}, fe
	}
	now := s.clock.Now()
	l := List{Name: name, Description: description, CreatedAt: now, UpdatedAt: now}
	err := s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		err := tx.Raw(`INSERT INTO contact_lists (org_id, name, description, created_at, updated_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			orgID, name, description, now, now).Scan(&l.ID).Error
		if isDuplicate(err) {
			return FieldErrors{"name": "A list with this name already exists."}
		}
		if err != nil {
			return fmt.Errorf("contact: create list: %w", err)
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "list.create", Target: "list:" + strconv.FormatInt(l.ID, 10), At: now})
	})
	return l, err
}

// UpdateList renames a list or changes its description.
func (s *Service) UpdateList(ctx context.Context, orgID, userID, id int64, name, description string) error {
	name, description, fe := cleanListInput(name, description)
	if fe != nil {
		return fe
	}
	return s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		res := tx.Exec(`UPDATE contact_lists SET name = ?, description = ?, updated_at = ? WHERE org_id = ? AND id = ?`,
			name, description, s.clock.Now(), orgID, id)
		if isDuplicate(res.Error) {
			return FieldErrors{"name": "A list with this name already exists."}
		}
		if res.Error != nil {
			return fmt.Errorf("contact: update list: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "list.update", Target: "list:" + strconv.FormatInt(id, 10), At: s.clock.Now()})
	})
}

// DeleteList removes a list (its contacts stay).
func (s *Service) DeleteList(ctx context.Context, orgID, userID, id int64) error {
	return s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		res := tx.Exec(`DELETE FROM contact_lists WHERE org_id = ? AND id = ?`, orgID, id)
		if res.Error != nil {
			return fmt.Errorf("contact: delete list: %w", res.Error)
		}
		if res.RowsAffected == 0 {
			return ErrNotFound
		}
		if err := tx.Exec(`DELETE FROM contact_list_members WHERE org_id = ? AND list_id = ?`, orgID, id).Error; err != nil {
			return fmt.Errorf("contact: delete list members: %w", err)
		}
		return audit.Record(tx, audit.Entry{OrgID: orgID, ActorID: userID, Action: "list.delete", Target: "list:" + strconv.FormatInt(id, 10), At: s.clock.Now()})
	})
}

// AddToList adds contacts to a list (already members are left alone).
func (s *Service) AddToList(ctx context.Context, orgID, userID, listID int64, contactIDs []int64) error {
	return s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		return addMembers(tx, orgID, []int64{listID}, contactIDs, s.clock.Now())
	})
}

// RemoveFromList takes contacts off a list.
func (s *Service) RemoveFromList(ctx context.Context, orgID, userID, listID int64, contactIDs []int64) error {
	return s.tenant.InOrg(ctx, orgID, userID, func(tx *gorm.DB) error {
		if err := listExists(tx, orgID, listID); err != nil {
			return err
		}
		if err := tx.Exec(`DELETE FROM contact_list_members WHERE org_id = ? AND list_id = ? AND contact_id = ANY (?::bigint[])`,
			orgID, listID, db.Int64Array(contactIDs)).Error; err != nil {
			return fmt.Errorf("contact: remove from list: %w", err)
		}
		return nil
	})
}

func listExists(tx *gorm.DB, orgID, listID int64) error {
	var n int64
	if err := tx.Raw(`SELECT count(*) FROM contact_lists WHERE org_id = ? AND id = ?`, orgID, listID).Scan(&n).Error; err != nil {
		return fmt.Errorf("contact: find list: %w", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// addMembers adds the contacts (which must be the org's) to the lists.
func addMembers(tx *gorm.DB, orgID int64, listIDs, contactIDs []int64, now time.Time) error {
	if len(listIDs) == 0 || len(contactIDs) == 0 {
		return nil
	}
	var found int64
	if err := tx.Raw(`SELECT count(*) FROM contact_lists WHERE org_id = ? AND id = ANY (?::bigint[])`, orgID, db.Int64Array(listIDs)).Scan(&found).Error; err != nil {
		return fmt.Errorf("contact: find lists: %w", err)
	}
	if found != int64(len(compactIDs(listIDs))) {
		return ErrNotFound
	}
	if err := tx.Exec(`INSERT INTO contact_list_members (org_id, list_id, contact_id, added_at)
		SELECT ?, l, c.id, ? FROM unnest(?::bigint[]) l, contacts c
		WHERE c.org_id = ? AND c.id = ANY (?::bigint[])
		ON CONFLICT DO NOTHING`, orgID, now, db.Int64Array(listIDs), orgID, db.Int64Array(contactIDs)).Error; err != nil {
		return fmt.Errorf("contact: add to list: %w", err)
	}
	return nil
}

func compactIDs(ids []int64) []int64 {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	return slices.Compact(ids)
}
