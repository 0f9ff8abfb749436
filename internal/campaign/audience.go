package campaign

import (
	"encoding/json"
	"slices"
	"strings"

	"tidings/internal/platform/db"
)

// Audience is who a campaign is for: contacts matching its rules (all of
// them, or any one, by Match), minus members of the excluded lists. No
// rules at all means every contact of the organisation.
type Audience struct {
	Match   string       `json:"match,omitempty"` // MatchAll (default) or MatchAny
	Lists   []int64      `json:"lists,omitempty"`
	Tags    []string     `json:"tags,omitempty"`
	Attrs   []AttrFilter `json:"attrs,omitempty"`
	Exclude []int64      `json:"exclude,omitempty"` // list ids
}

// How rules combine.
const (
	MatchAll = "all"
	MatchAny = "any"
)

// AttrFilter matches contacts whose custom field Key equals Value.
type AttrFilter struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Everyone reports whether the audience has no rules.
func (a Audience) Everyone() bool { return len(a.Lists)+len(a.Tags)+len(a.Attrs) == 0 }

// Normalize sorts and de-duplicates, drops empty rules, and defaults Match.
func (a Audience) Normalize() Audience {
	ids := func(in []int64) []int64 {
		var out []int64
		for _, id := range in {
			if id > 0 {
				out = append(out, id)
			}
		}
		slices.Sort(out)
		return slices.Compact(out)
	}
	a.Lists, a.Exclude = ids(a.Lists), ids(a.Exclude)
	var tags []string
	for _, t := range a.Tags {
		if t = strings.TrimSpace(t); t != "" {
			tags = append(tags, t)
		}
	}
	slices.Sort(tags)
	a.Tags = slices.Compact(tags)
	var attrs []AttrFilter
	for _, f := range a.Attrs {
		f.Key = strings.TrimSpace(f.Key)
		if f.Key != "" {
			attrs = append(attrs, f)
		}
	}
	a.Attrs = attrs
	if a.Match != MatchAny {
		a.Match = MatchAll
	}
	return a
}

// Validate returns what is wrong with the rules.
func (a Audience) Validate() FieldErrors {
	fe := FieldErrors{}
	if a.Match != "" && a.Match != MatchAll && a.Match != MatchAny {
		fe["audience.match"] = "Choose “all of” or “any of”."
	}
	if len(a.Lists)+len(a.Tags)+len(a.Attrs)+len(a.Exclude) > 100 {
		fe["audience"] = "Use at most 100 rules."
	}
	for _, l := range a.Lists {
		if slices.Contains(a.Exclude, l) {
			fe["audience.exclude"] = "A list cannot be both included and excluded."
		}
	}
	if len(fe) == 0 {
		return nil
	}
	return fe
}

// predicate compiles the audience into one SQL condition over the contacts
// row aliased c, with its arguments. It always names the org (RLS is the
// safety net, not the wall) and uses only the contacts primary key and the
// list-membership primary key, so it needs no further index.
func (a Audience) predicate(orgID int64) (string, []any) {
	a = a.Normalize()
	conds := []string{}
	var args []any
	member := "EXISTS (SELECT 1 FROM contact_list_members m WHERE m.org_id = c.org_id AND m.contact_id = c.id AND m.list_id = "
	if a.Match == MatchAny && len(a.Lists) > 0 {
		conds = append(conds, member+"ANY(?::bigint[]))")
		args = append(args, db.Int64Array(a.Lists))
	} else {
		for _, l := range a.Lists {
			conds = append(conds, member+"?)")
			args = append(args, l)
		}
	}
	if len(a.Tags) > 0 {
		// tags are stored sorted and de-duplicated, compared as typed.
		if a.Match == MatchAny {
			conds = append(conds, "c.tags && ?::text[]")
		} else {
			conds = append(conds, "c.tags @> ?::text[]")
		}
		args = append(args, db.TextArray(a.Tags))
	}
	for _, f := range a.Attrs {
		js, _ := json.Marshal(map[string]string{f.Key: f.Value})
		conds = append(conds, "c.attributes @> ?::jsonb")
		args = append(args, string(js))
	}
	where := "c.org_id = ?"
	args = append([]any{orgID}, args...)
	if len(conds) > 0 {
		join := " AND "
		if a.Match == MatchAny {
			join = " OR "
		}
		where += " AND (" + strings.Join(conds, join) + ")"
	}
	if len(a.Exclude) > 0 {
		where += " AND NOT EXISTS (SELECT 1 FROM contact_list_members x WHERE x.org_id = c.org_id AND x.contact_id = c.id AND x.list_id = ANY(?::bigint[]))"
		args = append(args, db.Int64Array(a.Exclude))
	}
	return where, args
}
