package sandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// The error codes the sandbox produces, synchronously or in webhooks
// (design doc §5). Titles follow Meta's wording where it is known.
const (
	codeAuth             = 190
	codeInvalidParam     = 100
	subcodeNoObject      = 33
	codeRequiredMissing  = 131008
	codeInvalidValue     = 131009
	codeRecipientSender  = 131021
	codeThroughput       = 130429
	codePairRate         = 131056
	codeUndeliverable    = 131026
	codeReengagement     = 131047
	codeMarketingOptOut  = 131050
	codeMediaUpload      = 131053
	codeParamCount       = 132000
	codeTemplateMissing  = 132001
	codeHydratedTooLong  = 132005
	codeParamFormat      = 132012
	codeTemplatePaused   = 132015
	codeTemplateDisabled = 132016
	subcodeThrottle      = 2494055
)

type codeInfo struct {
	status int
	title  string
}

var codes = map[int]codeInfo{
	codeAuth:             {401, "Invalid OAuth access token - Cannot parse access token"},
	codeInvalidParam:     {400, "Invalid parameter"},
	codeRequiredMissing:  {400, "Required parameter is missing"},
	codeInvalidValue:     {400, "Parameter value is not valid"},
	codeRecipientSender:  {400, "Recipient cannot be sender"},
	codeThroughput:       {400, "Rate limit hit"},
	codePairRate:         {400, "(Business Account, Consumer Account) pair rate limit hit"},
	codeUndeliverable:    {400, "Message undeliverable"},
	codeReengagement:     {400, "Re-engagement message"},
	codeMarketingOptOut:  {400, "User stopped marketing messages"},
	codeMediaUpload:      {400, "Media upload error"},
	codeParamCount:       {400, "Number of parameters does not match the expected number of params"},
	codeTemplateMissing:  {404, "Template name does not exist in the translation"},
	codeHydratedTooLong:  {400, "Translated text too long"},
	codeParamFormat:      {400, "Parameter format does not match format in the created template"},
	codeTemplatePaused:   {400, "Template is Paused"},
	codeTemplateDisabled: {400, "Template is Disabled"},
}

func title(code int) string { return codes[code].title }

// apiError is a Graph API error before it is written.
type apiError struct {
	status  int
	code    int
	subcode int
	typ     string
	message string // the full message, "(#code) title" for WhatsApp codes
	details string // error_data.details; empty = no error_data
}

func (e *apiError) Error() string { return fmt.Sprintf("graph error %d: %s", e.code, e.message) }

// waErr is a WhatsApp error with Meta's "(#code) title" message and details.
func waErr(code int, format string, a ...any) *apiError {
	info := codes[code]
	return &apiError{status: info.status, code: code, typ: "OAuthException",
		message: fmt.Sprintf("(#%d) %s", code, info.title), details: fmt.Sprintf(format, a...)}
}

// paramErr is code 100 with a specific message, as Meta words them
// ("(#100) The parameter to is required.").
func paramErr(format string, a ...any) *apiError {
	msg := fmt.Sprintf(format, a...)
	return &apiError{status: 400, code: codeInvalidParam, typ: "OAuthException",
		message: "(#100) " + msg, details: msg}
}

// authErr is 190 for a missing, unknown or expired token (Graph itself says
// 104 for a missing one; the sandbox keeps one code for "fix the token").
func authErr(msg string, subcode int) *apiError {
	return &apiError{status: 401, code: codeAuth, subcode: subcode, typ: "OAuthException", message: msg}
}

// noObject is 100/33: the id is unknown or not visible to this token; Meta
// does not say which.
func noObject(method, id string) *apiError {
	return &apiError{status: 400, code: codeInvalidParam, subcode: subcodeNoObject, typ: "GraphMethodException",
		message: fmt.Sprintf("Unsupported %s request. Object with ID '%s' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api", method, id)}
}

// unknownPath is what Graph says for an edge it does not have.
func unknownPath(path string) *apiError {
	return &apiError{status: 400, code: codeInvalidParam, typ: "OAuthException",
		message: "Unknown path components: " + path}
}

type graphErrorBody struct {
	Error graphError `json:"error"`
}

type graphError struct {
	Message   string          `json:"message"`
	Type      string          `json:"type"`
	Code      int             `json:"code"`
	ErrorData *graphErrorData `json:"error_data,omitempty"`
	Subcode   int             `json:"error_subcode,omitempty"`
	TraceID   string          `json:"fbtrace_id"`
}

type graphErrorData struct {
	MessagingProduct string `json:"messaging_product"`
	Details          string `json:"details"`
}

func writeGraphError(w http.ResponseWriter, e *apiError) {
	trace := traceID()
	body := graphErrorBody{Error: graphError{Message: e.message, Type: e.typ, Code: e.code, Subcode: e.subcode, TraceID: trace}}
	if e.details != "" {
		body.Error.ErrorData = &graphErrorData{MessagingProduct: "whatsapp", Details: e.details}
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("X-Fb-Trace-Id", trace)
	if e.code == codeAuth {
		h.Set("WWW-Authenticate", `OAuth "Facebook Platform" "invalid_token" "`+e.message+`"`)
	}
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(body)
}
