// Package settings renders the organisation's settings pages.
package settings

import (
	"strings"

	"tidings/templates/components"
)

// WhatsAppForm is the connection form's state.
type WhatsAppForm struct {
	WABAID, PhoneNumberID, APIBaseURL, APIVersion string
	Editing                                       bool
	Errors                                        components.FormErrors
}

// WhatsAppData is the WhatsApp settings page.
type WhatsAppData struct {
	Connected, CanManage                                              bool
	DisplayNumber, VerifiedName, Quality, Tier, Throughput, CheckedAt string
	Stopped, TestError                                                string
	WebhookURL, VerifyToken                                           string
	Form                                                              WhatsAppForm
}

func tokenHint(editing bool) string {
	if editing {
		return "Leave empty to keep the stored token."
	}
	return "A permanent token of a system user with whatsapp_business_messaging permission."
}

func secretHint(editing bool) string {
	if editing {
		return "Leave empty to keep the stored secret."
	}
	return "From your Meta app: App settings → Basic. Used to check that webhooks come from Meta."
}

func qualityKind(q string) string {
	switch q {
	case "GREEN":
		return "success"
	case "YELLOW":
		return "warning"
	case "RED":
		return "danger"
	}
	return "neutral"
}

func qualityWord(q string) string {
	switch q {
	case "GREEN":
		return "High (green)"
	case "YELLOW":
		return "Medium (yellow)"
	case "RED":
		return "Low (red)"
	}
	return "Unknown"
}

func qualityHint(q string) string {
	switch q {
	case "YELLOW":
		return "People have been blocking or reporting your messages. Send only to people who asked for them."
	case "RED":
		return "Meta may limit this number soon. Pause marketing and review your audience and consent."
	}
	return ""
}

func tierWords(t string) string {
	switch t {
	case "TIER_250":
		return "250 people a day"
	case "TIER_1K":
		return "1,000 people a day"
	case "TIER_2K":
		return "2,000 people a day"
	case "TIER_10K":
		return "10,000 people a day"
	case "TIER_100K":
		return "100,000 people a day"
	case "TIER_UNLIMITED":
		return "No daily limit"
	case "":
		return "Unknown"
	}
	return t
}

func throughputWords(level string) string {
	switch level {
	case "STANDARD":
		return "Standard (80 messages a second)"
	case "HIGH":
		return "High (up to 1,000 messages a second)"
	case "":
		return "Unknown"
	}
	return level
}

// SendingForm is the sending settings form's state, as typed.
type SendingForm struct {
	CapCount, CapDays                     string
	OptOutKeywords, OptInKeywords         string
	OptOutPayloads                        string
	OptOutConfirmation, OptInConfirmation string
	PauseErrorPercent, SendRate           string
	Connected                             bool // the send rate applies to a connected number
	Errors                                components.FormErrors
}

// SendingData is the sending settings page.
type SendingData struct {
	CanManage     bool
	BuiltinOptOut []string
	BuiltinOptIn  []string
	Form          SendingForm
}

func capWords(f SendingForm) string {
	if strings.TrimSpace(f.CapCount) == "0" {
		return "No cap"
	}
	return f.CapCount + " marketing messages per person every " + f.CapDays + " days"
}

func orNone(s string) string {
	if strings.TrimSpace(s) == "" {
		return "None"
	}
	return s
}
