package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// PhoneNumberFields is what GetPhoneNumber asks for. The messaging limit is
// read from whatsapp_business_manager_messaging_limit: since 7 Oct 2025
// limits belong to the business portfolio and messaging_limit_tier is
// deprecated (doc §6.3). The deprecated field is not requested because a
// field Meta has removed fails the whole request with code 100.
const PhoneNumberFields = "id,display_phone_number,verified_name,quality_rating,status,name_status,throughput,whatsapp_business_manager_messaging_limit"

// PhoneNumber is a business phone number's state (doc §6.1, §6.3, §6.5).
type PhoneNumber struct {
	ID                 string
	DisplayPhoneNumber string
	VerifiedName       string
	// NameStatus is the display-name review state (APPROVED, PENDING_REVIEW, …).
	NameStatus string
	// QualityRating is GREEN, YELLOW, RED, NA or UNKNOWN.
	QualityRating string
	// Status is CONNECTED, DISCONNECTED, FLAGGED, RESTRICTED, …; only a
	// CONNECTED number sends and receives.
	Status string
	// MessagingLimitTier is TIER_250, TIER_2K, TIER_10K, TIER_100K,
	// TIER_UNLIMITED, … (the portfolio's limit; older answers: per number).
	MessagingLimitTier string
	// Throughput is the level: STANDARD (80 msg/s, 20 for coexistence
	// numbers), HIGH (1,000 msg/s) or NOT_APPLICABLE.
	Throughput string
}

type phoneNumberResponse struct {
	ID                 string `json:"id"`
	DisplayPhoneNumber string `json:"display_phone_number"`
	VerifiedName       string `json:"verified_name"`
	NameStatus         string `json:"name_status"`
	QualityRating      string `json:"quality_rating"`
	Status             string `json:"status"`
	PortfolioLimit     string `json:"whatsapp_business_manager_messaging_limit"`
	// Still decoded: an older server (or the sandbox) may only send this.
	LegacyLimitTier string `json:"messaging_limit_tier"`
	Throughput      struct {
		Level string `json:"level"`
	} `json:"throughput"`
}

// GetPhoneNumber reads a business phone number's quality, limits and
// throughput, e.g. to size the sender's token bucket.
func (c *Client) GetPhoneNumber(ctx context.Context, token, phoneNumberID string) (PhoneNumber, error) {
	if err := checkID("phone number id", phoneNumberID); err != nil {
		return PhoneNumber{}, fmt.Errorf("whatsapp: get phone number: %w", err)
	}
	cl := call{
		method: http.MethodGet, path: phoneNumberID,
		query: url.Values{"fields": {PhoneNumberFields}}, limit: maxManagementResponse,
	}
	buf, err := c.do(ctx, token, cl)
	if err != nil {
		return PhoneNumber{}, err
	}
	var out phoneNumberResponse
	if err := decodeOK(cl, buf, &out); err != nil {
		return PhoneNumber{}, err
	}
	p := PhoneNumber{
		ID: out.ID, DisplayPhoneNumber: out.DisplayPhoneNumber, VerifiedName: out.VerifiedName,
		NameStatus: out.NameStatus, QualityRating: out.QualityRating, Status: out.Status,
		MessagingLimitTier: out.PortfolioLimit, Throughput: out.Throughput.Level,
	}
	if p.MessagingLimitTier == "" {
		p.MessagingLimitTier = out.LegacyLimitTier
	}
	return p, nil
}
