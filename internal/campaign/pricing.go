package campaign

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// Prices estimate what a campaign costs. Meta charges per delivered
// template message by category and by the recipient's country (its calling
// code), since 1 July 2025 (whatsapp-cloud-api.md §6.7).
//
// The choice: a Go table (DefaultPrices) of list prices for the countries
// our customers send to most, plus a per-category default for every other
// country, overridable as a whole by a JSON file named in the
// CAMPAIGN_PRICES_FILE setting (LoadPrices). Meta changes rates only on the
// first day of a quarter, so a file the operator updates then is enough; the
// estimate is labelled as one in the UI, and volume tiers (which lower
// utility and authentication prices) are ignored, so it errs high.
type Prices struct {
	Currency string `json:"currency"`
	// Rates: category (MARKETING, UTILITY, AUTHENTICATION) → ISO 3166
	// region ("GB"; "US" covers every +1 number) → price per message.
	Rates map[string]map[string]float64 `json:"rates"`
	// Default: category → price for any region not in Rates.
	Default map[string]float64 `json:"default"`
}

// DefaultPrices are approximate USD list prices (Meta's rate card, Q3
// 2025). Not authoritative: replace them with a file for real billing.
func DefaultPrices() *Prices {
	return &Prices{
		Currency: "USD",
		Rates: map[string]map[string]float64{
			CategoryMarketing: {"US": 0.0250, "GB": 0.0529, "DE": 0.1365, "FR": 0.0859, "ES": 0.0615, "IT": 0.0691,
				"NL": 0.1597, "IN": 0.0107, "BR": 0.0625, "MX": 0.0305, "ID": 0.0411, "ZA": 0.0379, "NG": 0.0516},
			CategoryUtility: {"US": 0.0040, "GB": 0.0220, "DE": 0.0550, "FR": 0.0300, "ES": 0.0200, "IT": 0.0300,
				"NL": 0.0500, "IN": 0.0014, "BR": 0.0080, "MX": 0.0085, "ID": 0.0250, "ZA": 0.0076, "NG": 0.0067},
			CategoryAuthentication: {"US": 0.0135, "GB": 0.0358, "DE": 0.0768, "FR": 0.0688, "ES": 0.0342, "IT": 0.0378,
				"NL": 0.0711, "IN": 0.0014, "BR": 0.0315, "MX": 0.0239, "ID": 0.0300, "ZA": 0.0076, "NG": 0.0067},
		},
		Default: map[string]float64{CategoryMarketing: 0.0604, CategoryUtility: 0.0077, CategoryAuthentication: 0.0353},
	}
}

// LoadPrices reads a price table from a JSON file of the same shape as
// Prices: {"currency":"EUR","rates":{"MARKETING":{"GB":0.05}},"default":{"MARKETING":0.06}}.
func LoadPrices(path string) (*Prices, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("campaign: prices: %w", err)
	}
	var p Prices
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("campaign: prices %s: %w", path, err)
	}
	if p.Currency == "" || len(p.Default) == 0 {
		return nil, fmt.Errorf("campaign: prices %s: a currency and default prices are required", path)
	}
	return &p, nil
}

// Price is the price of one message of category to a number whose E.164
// form starts with prefix (at least the calling code).
func (p *Prices) Price(category, prefix string) float64 {
	category = strings.ToUpper(category)
	if region := regionOf(prefix); region != "" {
		if r, ok := p.Rates[category][region]; ok {
			return r
		}
	}
	return p.Default[category]
}

// regionOf finds the main region of the calling code a number starts with
// (calling codes are prefix-free: the first valid one is it).
func regionOf(prefix string) string {
	digits := strings.TrimPrefix(prefix, "+")
	for n := 1; n <= 3 && n <= len(digits); n++ {
		code, err := strconv.Atoi(digits[:n])
		if err != nil {
			return ""
		}
		if r := phonenumbers.GetRegionCodeForCountryCode(code); r != "" && r != "ZZ" {
			return r
		}
	}
	return ""
}
