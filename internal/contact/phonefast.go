package contact

import (
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// The fast path of NormalisePhone.
//
// libphonenumber's Go port spends ≈15 µs on a number (about 80 allocations,
// most of it in regexp calls looked up by pattern string), which alone
// would cap an import near 70k rows/s on two cores. fastNormalise follows
// the very same steps as phonenumbers.Parse + IsValidNumber + Format(E164)
// for the shapes that make up nearly every real file — an optional leading
// "+" (or "00"), then digits with spaces, dashes, dots, parentheses or
// slashes — using the library's own metadata and patterns, compiled once
// and matched directly. It only ever answers "this is the E.164 form";
// whenever a step would take a branch it does not mirror (a national prefix
// with a transform rule, an IDD or country code typed without "+", an
// invalid number, …) it says "don't know" and the caller asks the library.
// FuzzNormalisePhone checks that it never disagrees with the library.

// fastMeta is one territory's metadata with its patterns compiled.
type fastMeta struct {
	md        *phonenumbers.PhoneMetadata
	cc        string
	general   *regexp.Regexp // ^(?:general)$
	genLens   []int32
	genLocal  []int32
	types     []fastDesc // in getNumberTypeHelper's order, fixed line and mobile last
	fixed     fastDesc
	mobile    fastDesc
	sameFM    bool
	npfp      *regexp.Regexp // ^(?:national prefix for parsing), nil if none
	transform bool           // the prefix has a transform rule
	idd       *regexp.Regexp // international prefix, unanchored as the library uses it
	leading   *regexp.Regexp // ^(?:leading digits), nil if none
}

type fastDesc struct {
	re   *regexp.Regexp
	lens []int32
}

func (d fastDesc) match(nsn string) bool {
	if d.re == nil {
		return false
	}
	if len(d.lens) > 0 {
		n := int32(len(nsn))
		found := false
		for _, l := range d.lens {
			if l == n {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return d.re.MatchString(nsn)
}

var (
	fastOnce   sync.Once
	fastByID   map[string]*lazyMeta // geographic regions by code
	fastByCode map[int]*lazyMeta    // non-geographic entities by calling code
)

// lazyMeta compiles a territory's patterns on first use: an import touches
// a handful of the ~250 territories, and compiling them all would cost
// memory for nothing.
type lazyMeta struct {
	once sync.Once
	md   *phonenumbers.PhoneMetadata
	m    *fastMeta
}

func (l *lazyMeta) get() *fastMeta {
	if l == nil {
		return nil
	}
	l.once.Do(func() { l.m = compileMeta(l.md) })
	return l.m
}

func loadFastMeta() {
	fastByID = map[string]*lazyMeta{}
	fastByCode = map[int]*lazyMeta{}
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		return // the fast path stays off; the library still answers
	}
	for _, md := range coll.GetMetadata() {
		if md.GetId() == "001" {
			fastByCode[int(md.GetCountryCode())] = &lazyMeta{md: md}
		} else {
			fastByID[md.GetId()] = &lazyMeta{md: md}
		}
	}
}

func regionMeta(region string) *fastMeta { return fastByID[region].get() }
func nonGeoMeta(cc int) *fastMeta        { return fastByCode[cc].get() }

func compileMeta(md *phonenumbers.PhoneMetadata) *fastMeta {
	strict := func(p string) *regexp.Regexp { return regexp.MustCompile("^(?:" + p + ")$") }
	desc := func(d *phonenumbers.PhoneNumberDesc) fastDesc {
		if d == nil {
			return fastDesc{re: strict("")} // the library matches the empty pattern
		}
		return fastDesc{re: strict(d.GetNationalNumberPattern()), lens: d.PossibleLength}
	}
	g := md.GetGeneralDesc()
	fm := &fastMeta{
		md:       md,
		cc:       strconv.Itoa(int(md.GetCountryCode())),
		general:  strict(g.GetNationalNumberPattern()),
		genLens:  g.PossibleLength,
		genLocal: g.PossibleLengthLocalOnly,
		fixed:    desc(md.GetFixedLine()),
		mobile:   desc(md.GetMobile()),
		sameFM:   md.GetSameMobileAndFixedLinePattern(),
	}
	for _, d := range []*phonenumbers.PhoneNumberDesc{md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(),
		md.GetVoip(), md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail()} {
		fm.types = append(fm.types, desc(d))
	}
	if p := md.GetNationalPrefixForParsing(); p != "" {
		fm.npfp = regexp.MustCompile("^(?:" + p + ")")
		fm.transform = md.GetNationalPrefixTransformRule() != ""
	}
	if p := md.GetInternationalPrefix(); p != "" {
		fm.idd = regexp.MustCompile(p)
	}
	if p := md.GetLeadingDigits(); p != "" {
		fm.leading = regexp.MustCompile("^(?:" + p + ")")
	}
	return fm
}

// known mirrors getNumberTypeHelper(nsn) != UNKNOWN. That helper tries
// the rarer types first because it must name the type; whether any type
// matches does not depend on the order, so mobile and fixed line, which
// nearly every number in a contact list is, go first (bench-import, 1M
// numbers, CPU profile of the importer: 1.15 s in pattern matching before,
// 0.58 s after).
func (m *fastMeta) known(nsn string) bool {
	if !(fastDesc{re: m.general, lens: m.genLens}).match(nsn) {
		return false
	}
	if (!m.sameFM && m.mobile.match(nsn)) || m.fixed.match(nsn) {
		return true
	}
	for _, d := range m.types {
		if d.match(nsn) {
			return true
		}
	}
	return false
}

// lengthOK mirrors testNumberLength(nsn, md, UNKNOWN) not being TOO_SHORT,
// IS_POSSIBLE_LOCAL_ONLY or INVALID_LENGTH.
func (m *fastMeta) lengthOK(nsn string) bool {
	lens := m.genLens
	if len(lens) == 0 || lens[0] == -1 {
		return false
	}
	n := int32(len(nsn))
	for _, l := range m.genLocal {
		if l == n {
			return false
		}
	}
	if n < lens[0] {
		return false
	}
	if n > lens[len(lens)-1] {
		return true // TOO_LONG counts as "possible enough" to keep the stripped form
	}
	for _, l := range lens {
		if l == n {
			return true
		}
	}
	return false
}

// stripNationalPrefix mirrors maybeStripNationalPrefixAndCarrierCode
// followed by parseHelper's length test; ok=false means "not mirrored".
func (m *fastMeta) stripNationalPrefix(num string) (string, bool) {
	if m.npfp == nil || len(num) == 0 {
		return num, true
	}
	loc := m.npfp.FindStringIndex(num)
	if loc == nil {
		return num, true
	}
	if m.transform {
		return "", false
	}
	stripped := num[loc[1]:]
	if m.general.MatchString(num) && !m.general.MatchString(stripped) {
		return num, true
	}
	if m.lengthOK(stripped) {
		return stripped, true
	}
	return num, true
}

// regionFor mirrors GetRegionCodeForNumber; nil means none. known says
// the number was already found valid for it on the way.
func regionFor(cc int, nsn string) (m *fastMeta, known bool) {
	regions := phonenumbers.GetRegionCodesForCountryCode(cc)
	if len(regions) == 0 {
		return nil, false
	}
	meta := func(r string) *fastMeta {
		if r == "001" {
			return nonGeoMeta(cc)
		}
		return regionMeta(r)
	}
	if len(regions) == 1 {
		return meta(regions[0]), false
	}
	for _, r := range regions {
		m := meta(r)
		if m == nil {
			continue
		}
		if m.leading != nil {
			if m.leading.MatchString(nsn) {
				return m, false
			}
		} else if m.known(nsn) {
			return m, true
		}
	}
	return nil, false
}

// fastNormalise returns the E.164 form of s and true, or false when the
// library must decide. s is already trimmed with "00" turned into "+",
// exactly as phone.Normalise passes it to the library; region is upper-case.
func fastNormalise(s, region string) (string, bool) {
	fastOnce.Do(loadFastMeta)
	if len(s) == 0 || len(s) > 64 {
		return "", false
	}
	plus := s[0] == '+'
	var buf [32]byte
	digits := buf[:0]
	start := 0
	if plus {
		start = 1
	}
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			if len(digits) == cap(buf) {
				return "", false
			}
			digits = append(digits, c)
		case c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '/':
		default:
			return "", false
		}
	}
	if len(digits) < 3 {
		return "", false
	}
	d := string(digits)

	var cc int
	var nat string
	if plus {
		if d[0] == '0' {
			return "", false
		}
		for i := 1; i <= 3 && i <= len(d); i++ {
			c, _ := strconv.Atoi(d[:i])
			if len(phonenumbers.GetRegionCodesForCountryCode(c)) > 0 {
				cc, nat = c, d[i:]
				break
			}
		}
		if cc == 0 {
			return "", false
		}
	} else {
		m := regionMeta(region)
		if m == nil {
			return "", false
		}
		if m.idd != nil {
			if loc := m.idd.FindStringIndex(d); loc != nil && loc[0] == 0 {
				return "", false
			}
		}
		if strings.HasPrefix(d, m.cc) {
			return "", false
		}
		cc, nat = int(m.md.GetCountryCode()), d
	}
	if len(nat) < 2 {
		return "", false
	}
	// The metadata parseHelper strips the national prefix with: for a
	// number typed with its country code, that code's main region; for a
	// national number, the default region's own (which for Jersey or the
	// Isle of Man differs from the GB rules of +44).
	main := regionMeta(region)
	if plus {
		if r := phonenumbers.GetRegionCodeForCountryCode(cc); r == "001" {
			main = nonGeoMeta(cc)
		} else {
			main = regionMeta(r)
		}
	}
	if main == nil {
		return "", false
	}
	nsn, ok := main.stripNationalPrefix(nat)
	if !ok || len(nsn) < 2 || len(nsn) > 17 {
		return "", false
	}
	m, known := regionFor(cc, nsn)
	if m == nil || !(known || m.known(nsn)) {
		return "", false
	}
	return "+" + strconv.Itoa(cc) + nsn, true
}
