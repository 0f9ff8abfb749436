package whatsapp

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// docCodes is every code in the design doc's §5 tables and lists.
var docCodes = []int{
	// §5.1
	0, 3, 10, 190, 200, 250, 299,
	// §5.2
	4, 80007, 130429, 131048, 131056, 133016,
	// §5.3
	368, 130497, 131031,
	// §5.4
	1, 2, 33, 100, 130472, 131000, 131005, 131008, 131009, 131016, 131021, 131026, 131030,
	131037, 131042, 131045, 131047, 131049, 131050, 131051, 131052, 131053, 131057,
	132000, 132001, 132005, 132007, 132012, 132015, 132016, 132068, 132069,
	133000, 133004, 133005, 133006, 133007, 133008, 133009, 133010, 133015, 134011, 135000, 137000,
	// newer (pywa)
	131064, 131062, 131063, 613,
	// template creation
	2388040, 2388047, 2388072, 2388073, 2388293, 2388299, 2388019,
	// Marketing Messages API
	131055, 134100, 134101, 134102,
}

func TestEveryDocCodeIsExplainedAndClassified(t *testing.T) {
	for _, code := range docCodes {
		ci, ok := Lookup(code)
		if !ok {
			t.Errorf("code %d missing from the table", code)
			continue
		}
		if ci.Code != code || ci.Title == "" || ci.Class == ClassNone {
			t.Errorf("code %d: %+v", code, ci)
		}
		ex := Explain(code)
		if ex == "" || !strings.HasSuffix(ex, ".") || strings.Contains(ex, fmt.Sprint(code)) {
			t.Errorf("code %d: explanation %q", code, ex)
		}
	}
	if got := Explain(424242); got != "WhatsApp reported error 424242." {
		t.Errorf("unknown code: %q", got)
	}
}

func TestExplainWording(t *testing.T) {
	for code, want := range map[int]string{
		131026: "This number is not on WhatsApp or can't receive messages right now.",
		131050: "This person has chosen to stop receiving marketing messages from businesses.",
		130429: "Sending too fast for this number's throughput; Tidings slows down and retries.",
	} {
		if got := Explain(code); got != want {
			t.Errorf("Explain(%d) = %q", code, got)
		}
	}
}

func TestClassifyCode(t *testing.T) {
	want := map[Class][]int{
		ClassThrottled: {130429, 131056, 80007, 4, 17, 32, 613, 131048, 133016, 131057, 132015},
		ClassPermanent: {131026, 131047, 131049, 131050, 131051, 131052, 131053, 132000, 132001, 132005,
			132007, 132012, 132016, 131008, 131009, 131021, 100, 130497, 137000, 2388019},
		ClassAuth:      {190, 10, 200, 299, 3, 0, 131005, 131031, 368, 33, 131037, 131042, 133010},
		ClassTransient: {1, 2, 131000, 131016, 133004},
	}
	for class, codes := range want {
		for _, code := range codes {
			if got := ClassifyCode(code, 400); got != class {
				t.Errorf("ClassifyCode(%d) = %v, want %v", code, got, class)
			}
		}
	}
	// Unknown codes fall back on the status.
	for status, class := range map[int]Class{0: ClassPermanent, 400: ClassPermanent, 401: ClassAuth, 403: ClassAuth,
		404: ClassPermanent, 408: ClassTransient, 429: ClassThrottled, 500: ClassTransient, 503: ClassTransient, 307: ClassAuth} {
		if got := ClassifyCode(999999, status); got != class {
			t.Errorf("unknown code with HTTP %d: %v, want %v", status, got, class)
		}
	}
}

func TestScopes(t *testing.T) {
	for code, scope := range map[int]Scope{131056: ScopeRecipient, 130429: ScopePhoneNumber, 132015: ScopeTemplate,
		80007: ScopeAccount, 131026: ScopeRecipient, 131009: ScopeMessage} {
		if ci, _ := Lookup(code); ci.Scope != scope {
			t.Errorf("scope of %d = %v, want %v", code, ci.Scope, scope)
		}
	}
	ae := &APIError{Code: 100, Subcode: 33, Class: ClassAuth}
	if ci := ae.Info(); ci.Scope != ScopePhoneNumber || ci.Class != ClassAuth {
		t.Errorf("100/33 info %+v", ci)
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err  error
		want Class
	}{
		{nil, ClassNone},
		{&APIError{Class: ClassThrottled}, ClassThrottled},
		{fmt.Errorf("delivery: send 7: %w", &APIError{Class: ClassAuth}), ClassAuth},
		{&TransportError{Op: "POST /x", Err: errors.New("boom")}, ClassTransient},
		{fmt.Errorf("x: %w", ErrInvalidRequest), ClassPermanent},
		{errors.New("something else"), ClassTransient},
	}
	for _, tt := range tests {
		if got := Classify(tt.err); got != tt.want {
			t.Errorf("Classify(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
	for _, c := range []Class{ClassNone, ClassTransient, ClassThrottled, ClassPermanent, ClassAuth, Class(99)} {
		if c.String() == "" {
			t.Errorf("empty name for %d", int(c))
		}
	}
}

func TestMaskDigits(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "",
		"(#131056) pair rate limit hit": "(#131056) pair rate limit hit",
		"to +4915112345678 failed":      "to +••••••••••678 failed",
		"ID '106540352242922' missing":  "ID '••••••••••••922' missing",
		"1234567":                       "••••567",
		"123456 and 12":                 "123456 and 12",
	} {
		if got := maskDigits(in); got != want {
			t.Errorf("maskDigits(%q) = %q, want %q", in, got, want)
		}
	}
}
