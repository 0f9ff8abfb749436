package whatsapp

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"unicode/utf8"
)

// Limits Meta documents for send requests (design doc §2).
const (
	// MaxTextBody is the longest text message body, in characters.
	MaxTextBody = 4096
	// MaxBizOpaqueCallbackData is the longest tracking string. Meta states
	// 512 for the Calling API; the doc assumes the same for messages.
	MaxBizOpaqueCallbackData = 512
)

// ParamType is the type of one template parameter.
type ParamType string

// Parameter types Tidings sends. Media types are for the header only.
const (
	ParamText     ParamType = "text"
	ParamCurrency ParamType = "currency"
	ParamDateTime ParamType = "date_time"
	ParamImage    ParamType = "image"
	ParamDocument ParamType = "document"
	ParamVideo    ParamType = "video"
)

// Parameter is the value of one template placeholder.
type Parameter struct {
	// Type is ParamText when empty.
	Type ParamType `json:"type,omitempty"`
	// Name is the placeholder name for templates in the named format
	// ({{first_name}}); empty for positional ({{1}}) templates, where the
	// order of the slice is the order of the placeholders.
	Name string `json:"name,omitempty"`
	// Text is the value of a text parameter, and the fallback_value of a
	// currency or date_time parameter.
	Text string `json:"text,omitempty"`
	// Link or MediaID (an uploaded media id) for image, document and video
	// parameters; MediaID wins when both are set.
	Link    string `json:"link,omitempty"`
	MediaID string `json:"media_id,omitempty"`
	// Filename is shown for a document.
	Filename string `json:"filename,omitempty"`
	// CurrencyCode (ISO 4217) and Amount1000 (the amount × 1000) for a
	// currency parameter.
	CurrencyCode string `json:"currency_code,omitempty"`
	Amount1000   int64  `json:"amount_1000,omitempty"`
}

// TextParam is a positional text parameter.
func TextParam(text string) Parameter { return Parameter{Type: ParamText, Text: text} }

// NamedParam is a text parameter of a named-format template.
func NamedParam(name, text string) Parameter {
	return Parameter{Type: ParamText, Name: name, Text: text}
}

// MediaParam is a header image, document or video fetched from link.
func MediaParam(t ParamType, link string) Parameter { return Parameter{Type: t, Link: link} }

// ButtonType is the sub_type of a template button component.
type ButtonType string

// Button sub-types with parameters. Authentication (one-time code)
// templates use ButtonURL with the code as Value.
const (
	ButtonQuickReply ButtonType = "quick_reply"
	ButtonURL        ButtonType = "url"
	ButtonCopyCode   ButtonType = "COPY_CODE" // coupon-code templates
)

// ButtonParameter fills in one of the template's buttons.
type ButtonParameter struct {
	Type ButtonType `json:"type"`
	// Index is the button's 0-based position in the template.
	Index int `json:"index"`
	// Value is the payload of a quick reply (it comes back in the inbound
	// button webhook), the suffix of a dynamic URL, or the coupon code.
	Value string `json:"value"`
}

// TemplateParams are a template send's filled-in placeholders. The message
// ledger stores them as JSON (messages.params) between the campaign that
// renders them and the sender that posts them.
type TemplateParams struct {
	Header  []Parameter       `json:"header,omitempty"`
	Body    []Parameter       `json:"body,omitempty"`
	Buttons []ButtonParameter `json:"buttons,omitempty"`
}

// TemplateMessage is a template send (design doc §2.3).
type TemplateMessage struct {
	// To is the recipient in E.164 with the "+": without it Meta prefixes
	// the business number's country code.
	To string
	// Name and Language ("en_US") identify the approved template.
	Name, Language string
	Header         []Parameter
	Body           []Parameter
	Buttons        []ButtonParameter
	// BizOpaqueCallbackData (the ledger id) is echoed in every status
	// webhook, so a send whose answer was lost can still be matched.
	BizOpaqueCallbackData string
}

// TextMessage is a free-form text send; Meta delivers it only inside the
// recipient's 24-hour customer-service window (otherwise 131047).
type TextMessage struct {
	To         string
	Body       string
	PreviewURL bool
	// ReplyTo is the wamid of a message to quote, or empty.
	ReplyTo               string
	BizOpaqueCallbackData string
}

// SendResult is Meta's 200 answer to a send (design doc §2.6). It means
// accepted, not delivered: delivery comes by status webhook.
type SendResult struct {
	// WAMID is the message id the status webhooks will carry.
	WAMID string
	// WAID is the recipient's WhatsApp id; Input is the To as sent. They
	// can differ (country-code or mobile-digit rewrites).
	WAID, Input string
	// MessageStatus is "accepted", "held_for_quality_assessment" (pacing),
	// "paused", or empty: Meta omits it for some sends.
	MessageStatus string
}

// SendTemplate sends an approved template message.
func (c *Client) SendTemplate(ctx context.Context, token, phoneNumberID string, m TemplateMessage) (SendResult, error) {
	b := newReqBody()
	defer b.release()
	var err error
	if b.buf, err = appendTemplateMessage(b.buf, &m); err != nil {
		return SendResult{}, fmt.Errorf("whatsapp: send template: %w", err)
	}
	return c.send(ctx, token, phoneNumberID, b)
}

// SendText sends a free-form text message.
func (c *Client) SendText(ctx context.Context, token, phoneNumberID string, m TextMessage) (SendResult, error) {
	b := newReqBody()
	defer b.release()
	var err error
	if b.buf, err = appendTextMessage(b.buf, &m); err != nil {
		return SendResult{}, fmt.Errorf("whatsapp: send text: %w", err)
	}
	return c.send(ctx, token, phoneNumberID, b)
}

// MarkRead marks an inbound message (and all before it in the thread) as
// read (design doc §2.5).
func (c *Client) MarkRead(ctx context.Context, token, phoneNumberID, wamid string) error {
	if wamid == "" {
		return fmt.Errorf("whatsapp: mark read: %w: empty message id", ErrInvalidRequest)
	}
	if err := checkID("phone number id", phoneNumberID); err != nil {
		return fmt.Errorf("whatsapp: mark read: %w", err)
	}
	b := newReqBody()
	defer b.release()
	b.buf = append(b.buf, `{"messaging_product":"whatsapp","status":"read","message_id":`...)
	b.buf = appendString(b.buf, wamid)
	b.buf = append(b.buf, '}')
	cl := call{method: http.MethodPost, path: phoneNumberID + "/messages", body: b, limit: maxSendResponse}
	return c.doSuccess(ctx, token, cl)
}

type successResponse struct {
	Success bool `json:"success"`
}

// sendResponse uses one-element arrays: encoding/json fills the first
// element and skips the rest without allocating slices. A send has exactly
// one recipient, so only the first element is meaningful.
type sendResponse struct {
	Contacts [1]struct {
		Input string `json:"input"`
		WAID  string `json:"wa_id"`
	} `json:"contacts"`
	Messages [1]struct {
		ID            string `json:"id"`
		MessageStatus string `json:"message_status"`
	} `json:"messages"`
}

func (c *Client) send(ctx context.Context, token, phoneNumberID string, b *reqBody) (SendResult, error) {
	if err := checkID("phone number id", phoneNumberID); err != nil {
		return SendResult{}, fmt.Errorf("whatsapp: send: %w", err)
	}
	cl := call{method: http.MethodPost, path: phoneNumberID + "/messages", body: b, limit: maxSendResponse}
	buf, err := c.do(ctx, token, cl)
	if err != nil {
		return SendResult{}, err
	}
	var out sendResponse
	if err := decodeOK(cl, buf, &out); err != nil {
		return SendResult{}, err
	}
	if out.Messages[0].ID == "" {
		// 200 without a wamid: Meta took it, but there is nothing to track
		// it by except the biz_opaque_callback_data in later webhooks.
		return SendResult{}, &TransportError{Op: cl.op(), Err: fmt.Errorf("%w: no message id", ErrMalformedResponse), MayHaveBeenSent: true}
	}
	return SendResult{
		WAMID: out.Messages[0].ID, MessageStatus: out.Messages[0].MessageStatus,
		WAID: out.Contacts[0].WAID, Input: out.Contacts[0].Input,
	}, nil
}

// --- encoding --------------------------------------------------------------
//
// Message bodies are appended by hand into pooled buffers: at thousands of
// sends a second, encoding/json's reflection and intermediate maps would be
// most of the client's CPU and garbage. appendString does the escaping, and
// the tests decode every shape back with encoding/json.

func appendEnvelope(dst []byte, to, typ, opaque string) ([]byte, error) {
	if to == "" || len(to) > 64 {
		return dst, fmt.Errorf("%w: recipient must be 1–64 characters", ErrInvalidRequest)
	}
	if utf8.RuneCountInString(opaque) > MaxBizOpaqueCallbackData {
		return dst, fmt.Errorf("%w: biz_opaque_callback_data over %d characters", ErrInvalidRequest, MaxBizOpaqueCallbackData)
	}
	dst = append(dst, `{"messaging_product":"whatsapp","recipient_type":"individual","to":`...)
	dst = appendString(dst, to)
	dst = append(dst, `,"type":"`...)
	dst = append(dst, typ...)
	dst = append(dst, '"')
	if opaque != "" {
		dst = append(dst, `,"biz_opaque_callback_data":`...)
		dst = appendString(dst, opaque)
	}
	return dst, nil
}

func appendTextMessage(dst []byte, m *TextMessage) ([]byte, error) {
	if m.Body == "" {
		return dst, fmt.Errorf("%w: empty text body", ErrInvalidRequest)
	}
	if utf8.RuneCountInString(m.Body) > MaxTextBody {
		return dst, fmt.Errorf("%w: text body over %d characters", ErrInvalidRequest, MaxTextBody)
	}
	dst, err := appendEnvelope(dst, m.To, "text", m.BizOpaqueCallbackData)
	if err != nil {
		return dst, err
	}
	if m.ReplyTo != "" {
		dst = append(dst, `,"context":{"message_id":`...)
		dst = appendString(dst, m.ReplyTo)
		dst = append(dst, '}')
	}
	dst = append(dst, `,"text":{"preview_url":`...)
	dst = strconv.AppendBool(dst, m.PreviewURL)
	dst = append(dst, `,"body":`...)
	dst = appendString(dst, m.Body)
	dst = append(dst, "}}"...)
	return dst, nil
}

func appendTemplateMessage(dst []byte, m *TemplateMessage) ([]byte, error) {
	if m.Name == "" || m.Language == "" {
		return dst, fmt.Errorf("%w: template name and language are required", ErrInvalidRequest)
	}
	dst, err := appendEnvelope(dst, m.To, "template", m.BizOpaqueCallbackData)
	if err != nil {
		return dst, err
	}
	dst = append(dst, `,"template":{"name":`...)
	dst = appendString(dst, m.Name)
	// "deterministic" is the only policy Meta defines; sent as in the doc's
	// example and by Chatwoot.
	dst = append(dst, `,"language":{"policy":"deterministic","code":`...)
	dst = appendString(dst, m.Language)
	dst = append(dst, '}')
	if len(m.Header)+len(m.Body)+len(m.Buttons) > 0 {
		dst = append(dst, `,"components":[`...)
		first := true
		for _, c := range [...]struct {
			typ    string
			params []Parameter
		}{{"header", m.Header}, {"body", m.Body}} {
			if len(c.params) == 0 {
				continue
			}
			if !first {
				dst = append(dst, ',')
			}
			first = false
			dst = append(dst, `{"type":"`...)
			dst = append(dst, c.typ...)
			dst = append(dst, `","parameters":[`...)
			for i := range c.params {
				if i > 0 {
					dst = append(dst, ',')
				}
				if dst, err = appendParameter(dst, &c.params[i], c.typ == "header"); err != nil {
					return dst, err
				}
			}
			dst = append(dst, "]}"...)
		}
		for i := range m.Buttons {
			if !first {
				dst = append(dst, ',')
			}
			first = false
			if dst, err = appendButton(dst, &m.Buttons[i]); err != nil {
				return dst, err
			}
		}
		dst = append(dst, ']')
	}
	dst = append(dst, "}}"...)
	return dst, nil
}

func appendParameter(dst []byte, p *Parameter, header bool) ([]byte, error) {
	t := p.Type
	if t == "" {
		t = ParamText
	}
	dst = append(dst, `{"type":"`...)
	dst = append(dst, t...)
	dst = append(dst, '"')
	if p.Name != "" {
		dst = append(dst, `,"parameter_name":`...)
		dst = appendString(dst, p.Name)
	}
	switch t {
	case ParamText:
		dst = append(dst, `,"text":`...)
		dst = appendString(dst, p.Text)
	case ParamCurrency:
		if p.CurrencyCode == "" {
			return dst, fmt.Errorf("%w: currency parameter without a currency code", ErrInvalidRequest)
		}
		dst = append(dst, `,"currency":{"fallback_value":`...)
		dst = appendString(dst, p.Text)
		dst = append(dst, `,"code":`...)
		dst = appendString(dst, p.CurrencyCode)
		dst = append(dst, `,"amount_1000":`...)
		dst = strconv.AppendInt(dst, p.Amount1000, 10)
		dst = append(dst, '}')
	case ParamDateTime:
		dst = append(dst, `,"date_time":{"fallback_value":`...)
		dst = appendString(dst, p.Text)
		dst = append(dst, '}')
	case ParamImage, ParamDocument, ParamVideo:
		if !header {
			return dst, fmt.Errorf("%w: %s parameters belong in the header", ErrInvalidRequest, t)
		}
		dst = append(dst, `,"`...)
		dst = append(dst, t...)
		dst = append(dst, `":{`...)
		switch {
		case p.MediaID != "":
			dst = append(dst, `"id":`...)
			dst = appendString(dst, p.MediaID)
		case p.Link != "":
			dst = append(dst, `"link":`...)
			dst = appendString(dst, p.Link)
		default:
			return dst, fmt.Errorf("%w: %s parameter needs a link or a media id", ErrInvalidRequest, t)
		}
		if t == ParamDocument && p.Filename != "" {
			dst = append(dst, `,"filename":`...)
			dst = appendString(dst, p.Filename)
		}
		dst = append(dst, '}')
	default:
		return dst, fmt.Errorf("%w: unknown parameter type %q", ErrInvalidRequest, t)
	}
	return append(dst, '}'), nil
}

func appendButton(dst []byte, b *ButtonParameter) ([]byte, error) {
	var paramType, key string
	switch b.Type {
	case ButtonQuickReply:
		paramType, key = "payload", "payload"
	case ButtonURL:
		paramType, key = "text", "text"
	case ButtonCopyCode:
		paramType, key = "coupon_code", "coupon_code"
	default:
		return dst, fmt.Errorf("%w: unknown button type %q", ErrInvalidRequest, b.Type)
	}
	if b.Index < 0 || b.Index > 9 {
		return dst, fmt.Errorf("%w: button index %d out of range 0–9", ErrInvalidRequest, b.Index)
	}
	dst = append(dst, `{"type":"button","sub_type":"`...)
	dst = append(dst, b.Type...)
	// index is a string in Meta's schema.
	dst = append(dst, `","index":"`...)
	dst = strconv.AppendInt(dst, int64(b.Index), 10)
	dst = append(dst, `","parameters":[{"type":"`...)
	dst = append(dst, paramType...)
	dst = append(dst, `","`...)
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	dst = appendString(dst, b.Value)
	dst = append(dst, "}]}"...)
	return dst, nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string with the same result as
// encoding/json without HTML escaping: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD, and U+2028/U+2029
// escaped so the body is also safe JavaScript.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// doSuccess makes a call whose answer is {"success": true}.
func (c *Client) doSuccess(ctx context.Context, token string, cl call) error {
	buf, err := c.do(ctx, token, cl)
	if err != nil {
		return err
	}
	var out successResponse
	if err := decodeOK(cl, buf, &out); err != nil {
		return err
	}
	if !out.Success {
		return &TransportError{Op: cl.op(), Err: fmt.Errorf("%w: success is not true", ErrMalformedResponse), MayHaveBeenSent: true}
	}
	return nil
}
