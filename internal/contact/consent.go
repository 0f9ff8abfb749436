package contact

import (
	"cmp"
	"slices"
	"time"

	"gorm.io/gorm"

	"tidings/internal/platform/db"
)

// DeriveConsent computes a contact's current consent from its ledger:
//
//   - An opt-out always wins over an opt-in: once a contact opted out, only
//     an opt-in from the person themself (source "contact": replying START,
//     the privacy centre) brings them back. An import, a team member or an
//     API call cannot override it. At the same instant, the opt-out wins.
//   - Otherwise any opt-in makes the contact opted in; no event at all
//     leaves consent unknown.
//   - Restriction (a privacy request) is separate and wins over everything
//     for sending (see Contact.Messageable): the last of restricted /
//     unrestricted counts, restricted winning a tie.
//
// The same rule is written in SQL (refreshConsentSQL) to keep the stored
// state current; TestDeriveConsentMatchesSQL holds the two together.
func DeriveConsent(events []ConsentEvent) (ConsentState, bool) {
	ev := slices.Clone(events)
	rank := func(k string) int {
		if k == EventOptOut || k == EventRestricted {
			return 1
		}
		return 0
	}
	slices.SortStableFunc(ev, func(a, b ConsentEvent) int {
		return cmp.Or(a.At.Compare(b.At), cmp.Compare(rank(a.Kind), rank(b.Kind)), cmp.Compare(a.ID, b.ID))
	})
	state, restricted := ConsentUnknown, false
	for _, e := range ev {
		switch e.Kind {
		case EventOptIn:
			if state != ConsentOptedOut || e.Source == SourceContact {
				state = ConsentOptedIn
			}
		case EventOptOut:
			state = ConsentOptedOut
		case EventRestricted:
			restricted = true
		case EventUnrestricted:
			restricted = false
		}
	}
	return state, restricted
}

// refreshConsentSQL recomputes the stored consent of the given contacts
// from their ledger (see DeriveConsent), touching only rows that change.
// Parameters: org id, contact ids (bigint[]), now.
const refreshConsentSQL = `
UPDATE contacts c SET consent_state = d.state, restricted = d.restricted, updated_at = @now
FROM (
  SELECT contact_id,
    CASE WHEN max(at) FILTER (WHERE kind = 'opt_out') IS NOT NULL
          AND coalesce(max(at) FILTER (WHERE kind = 'opt_in' AND source = 'contact')
                         <= max(at) FILTER (WHERE kind = 'opt_out'), true)
         THEN 'opted_out'
         WHEN bool_or(kind = 'opt_in') THEN 'opted_in'
         ELSE 'unknown' END AS state,
    coalesce(max(at) FILTER (WHERE kind = 'restricted') >= max(at) FILTER (WHERE kind = 'unrestricted'),
             max(at) FILTER (WHERE kind = 'restricted') IS NOT NULL) AS restricted
  FROM contact_consent_events
  WHERE org_id = @org AND contact_id = ANY (CAST(@ids AS bigint[]))
  GROUP BY contact_id
) d
WHERE c.org_id = @org AND c.id = d.contact_id
  AND (c.consent_state, c.restricted) IS DISTINCT FROM (d.state, d.restricted)`

func refreshConsent(tx *gorm.DB, orgID int64, ids []int64, now time.Time) error {
	return tx.Exec(refreshConsentSQL, map[string]any{"org": orgID, "ids": db.Int64Array(ids), "now": now}).Error
}
