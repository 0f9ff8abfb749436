package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"tidings/internal/platform/mail"
	"tidings/templates/dev"
)

func (s *Server) devOutboxList(c echo.Context) error {
	var mails []dev.Mail
	for _, m := range s.deps.Outbox.List() {
		mails = append(mails, devMail(m))
	}
	return render(c, http.StatusOK, dev.Outbox(s.page(c, "Outbox", "outbox"), mails))
}

func (s *Server) devOutboxShow(c echo.Context) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	m, err := s.deps.Outbox.Get(id)
	if errors.Is(err, mail.ErrNotFound) {
		return echo.ErrNotFound
	}
	return render(c, http.StatusOK, dev.OutboxMessage(s.page(c, m.Subject, "outbox"), devMail(m)))
}

func devMail(m mail.Sent) dev.Mail {
	return dev.Mail{ID: m.ID, To: m.To, Subject: m.Subject, Text: m.Text, SentAt: m.SentAt}
}
