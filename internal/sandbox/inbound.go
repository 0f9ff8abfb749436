package sandbox

import (
	"fmt"
	"strconv"
)

// Inbound is a message from a user to a business number, as a test or the
// fake phone injects it. Set Text, or ButtonPayload (a template quick-reply
// tap), or InteractiveID (an interactive reply-button tap).
type Inbound struct {
	PhoneNumberID string `json:"phone_number_id"`
	From          string `json:"from"` // the user's number, any common format
	Name          string `json:"name"` // profile name; default "Sandbox User"
	Text          string `json:"text,omitempty"`
	// ButtonPayload and ButtonText describe a quick-reply tap on a template.
	ButtonPayload string `json:"button_payload,omitempty"`
	ButtonText    string `json:"button_text,omitempty"`
	// InteractiveID and InteractiveTitle describe a reply-button tap.
	InteractiveID    string `json:"interactive_id,omitempty"`
	InteractiveTitle string `json:"interactive_title,omitempty"`
	// ContextID is the wamid of the business message replied to or tapped.
	ContextID string `json:"context_id,omitempty"`
}

// inboundValue is the messages-field value of an inbound webhook (§3.6);
// metadata is added when it is wrapped.
type inboundValue struct {
	Contacts []inboundContact `json:"contacts"`
	Messages []inboundMessage `json:"messages"`
}

type inboundContact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID string `json:"wa_id"`
}

type inboundMessage struct {
	Context     *inboundContext     `json:"context,omitempty"`
	From        string              `json:"from"`
	ID          string              `json:"id"`
	Timestamp   string              `json:"timestamp"`
	Type        string              `json:"type"`
	Text        *inboundText        `json:"text,omitempty"`
	Button      *inboundButton      `json:"button,omitempty"`
	Interactive *inboundInteractive `json:"interactive,omitempty"`
}

type inboundContext struct {
	From string `json:"from"`
	ID   string `json:"id"`
}

type inboundText struct {
	Body string `json:"body"`
}

type inboundButton struct {
	Payload string `json:"payload"`
	Text    string `json:"text"`
}

type inboundInteractive struct {
	Type        string `json:"type"`
	ButtonReply struct {
		ID    string `json:"id"`
		Title string `json:"title"`
	} `json:"button_reply"`
}

// InjectInbound delivers a user's message to a business number: it opens
// (or refreshes) the 24-hour window, shows on the fake phone, and is sent as
// an inbound-message webhook. It returns the new message's wamid.
func (s *Server) InjectInbound(in Inbound) (string, error) {
	n, err := s.number(in.PhoneNumberID)
	if err != nil {
		return "", err
	}
	waid, ok := digitsOf(in.From)
	if !ok {
		return "", fmt.Errorf("%w: from is not a phone number", ErrInvalid)
	}
	kinds := 0
	for _, v := range []string{in.Text, in.ButtonPayload + in.ButtonText, in.InteractiveID} {
		if v != "" {
			kinds++
		}
	}
	if kinds != 1 {
		return "", fmt.Errorf("%w: give exactly one of text, button_payload/button_text or interactive_id", ErrInvalid)
	}
	snap := n.snap.Load()
	if waid == snap.digits {
		return "", fmt.Errorf("%w: a number can't message itself", ErrInvalid)
	}
	if in.Name == "" {
		in.Name = "Sandbox User"
	}
	st := s.st.Load()
	now := s.now()
	m := &msgRecord{wamid: s.ids.wamid(waid, true), num: n, waid: waid, inbound: true, at: now,
		name: in.Name, text: in.Text, contextID: in.ContextID}
	msg := inboundMessage{From: waid, ID: m.wamid, Timestamp: strconv.FormatInt(now.Unix(), 10)}
	if in.ContextID != "" {
		msg.Context = &inboundContext{From: snap.digits, ID: in.ContextID}
		if orig, ok := st.msgs.get(in.ContextID); ok && !orig.inbound {
			m.replyToTemplate = orig
		}
	}
	switch {
	case in.Text != "":
		m.typ, msg.Type, msg.Text = "text", "text", &inboundText{Body: in.Text}
	case in.InteractiveID != "":
		m.typ, msg.Type = "interactive", "interactive"
		m.interactiveID, m.text = in.InteractiveID, in.InteractiveTitle
		msg.Interactive = &inboundInteractive{Type: "button_reply"}
		msg.Interactive.ButtonReply.ID, msg.Interactive.ButtonReply.Title = in.InteractiveID, in.InteractiveTitle
	default:
		if in.ButtonText == "" {
			in.ButtonText = in.ButtonPayload
		}
		if in.ButtonPayload == "" {
			in.ButtonPayload = in.ButtonText
		}
		m.typ, msg.Type = "button", "button"
		m.buttonPayload, m.buttonText, m.text = in.ButtonPayload, in.ButtonText, in.ButtonText
		msg.Button = &inboundButton{Payload: in.ButtonPayload, Text: in.ButtonText}
	}
	st.windows.put(pairKey{n.pnid, waid}, now.UnixNano())
	st.msgs.put(m.wamid, m)
	st.chatOf(waid).add(m)

	contact := inboundContact{WaID: waid}
	contact.Profile.Name = in.Name
	s.emitLater(n, "messages", marshalASCII(inboundValue{Contacts: []inboundContact{contact}, Messages: []inboundMessage{msg}}), false)
	s.log.Debug("sandbox: inbound message", "phone_number_id", n.pnid, "from", mask(waid), "type", m.typ)
	return m.wamid, nil
}

// userPreferencesValue is the value of the user_preferences webhook.
type userPreferencesValue struct {
	Contacts    []userPrefContact `json:"contacts"`
	Preferences []userPreference  `json:"user_preferences"`
}

type userPrefContact struct {
	WaID string `json:"wa_id"`
}

type userPreference struct {
	WaID      string `json:"wa_id"`
	Category  string `json:"category"`
	Value     string `json:"value"`
	Detail    string `json:"detail"`
	Timestamp int64  `json:"timestamp"`
}

// SetOptOut records that the user stopped (or resumed) marketing messages
// from the business that owns pnid, as WhatsApp's "Stop promotions" does:
// later marketing templates fail with 131050. It sends the
// user_preferences webhook.
func (s *Server) SetOptOut(pnid, user string, optedOut bool) error {
	n, err := s.number(pnid)
	if err != nil {
		return err
	}
	waid, ok := digitsOf(user)
	if !ok {
		return fmt.Errorf("%w: user is not a phone number", ErrInvalid)
	}
	st := s.st.Load()
	key := pairKey{n.waba.id, waid}
	value, detail := "stop", "User requested to stop marketing messages"
	if optedOut {
		st.optOut.put(key, true)
	} else {
		st.optOut.remove(key)
		value, detail = "resume", "User requested to resume marketing messages"
	}
	v := userPreferencesValue{Contacts: []userPrefContact{{WaID: waid}},
		Preferences: []userPreference{{WaID: waid, Category: "marketing_messages", Value: value, Detail: detail, Timestamp: s.now().Unix()}}}
	s.emitLater(n, "user_preferences", marshalASCII(v), false)
	return nil
}

// OptedOut reports whether the user stopped marketing from pnid's business.
func (s *Server) OptedOut(pnid, user string) bool {
	n, err := s.number(pnid)
	waid, ok := digitsOf(user)
	if err != nil || !ok {
		return false
	}
	out, _ := s.st.Load().optOut.get(pairKey{n.waba.id, waid})
	return out
}
