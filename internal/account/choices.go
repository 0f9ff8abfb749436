package account

import (
	"bufio"
	"bytes"
	_ "embed"
	"slices"
	"sort"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"golang.org/x/text/language"
	"golang.org/x/text/language/display"
)

// Choice is a value and the words shown for it.
type Choice struct{ Value, Label string }

// Industries offered at signup.
var Industries = []Choice{
	{"retail", "Retail and e-commerce"}, {"food", "Restaurants and food"},
	{"health", "Health and wellness"}, {"beauty", "Beauty and personal care"},
	{"education", "Education and training"}, {"travel", "Travel and hospitality"},
	{"services", "Professional services"}, {"real_estate", "Real estate"},
	{"nonprofit", "Non-profit"}, {"other", "Other"},
}

// CompanySizes offered at signup.
var CompanySizes = []Choice{
	{"1", "Just me"}, {"2-10", "2–10 people"}, {"11-50", "11–50 people"},
	{"51-200", "51–200 people"}, {"201+", "More than 200 people"},
}

// The IANA time zones of the tz database's zone1970.tab, plus UTC.
//
//go:embed data/timezones.txt
var timeZonesText []byte

// TimeZones lists the selectable IANA time zones.
var TimeZones = sync.OnceValue(func() []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(timeZonesText))
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
})

// Countries lists the regions phone numbers can be read for, by English name.
var Countries = sync.OnceValue(func() []Choice {
	names := display.English.Regions()
	var out []Choice
	for code := range phonenumbers.GetSupportedRegions() {
		name := code
		if r, err := language.ParseRegion(code); err == nil {
			if n := names.Name(r); n != "" {
				name = n
			}
		}
		out = append(out, Choice{code, name})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Label < out[j].Label })
	return out
})

func validChoice(list []Choice, v string) bool {
	return slices.ContainsFunc(list, func(c Choice) bool { return c.Value == v })
}
