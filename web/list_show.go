package web

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"tidings/internal/account"
	"tidings/templates/contacts"
	"tidings/web/paths"
)

// listShow is a list's page: the contacts page narrowed to the list, with
// the forms that rename or delete it.
func (s *Server) listShow(c echo.Context) error {
	d, err := s.listData(c)
	if err != nil {
		return err
	}
	return render(c, http.StatusOK, contacts.List(s.page(c, d.List.Name, "lists"), d))
}

// listData loads a list's page; the list's forms re-render it with their
// errors.
func (s *Server) listData(c echo.Context) (contacts.ListData, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		return contacts.ListData{}, echo.ErrNotFound
	}
	a := s.actor(c)
	l, err := s.deps.Contacts.GetList(c.Request().Context(), a.OrgID, id)
	if err != nil {
		return contacts.ListData{}, listErr(err)
	}
	f := contactFilter(c)
	f.ListID = l.ID
	d, err := s.contactListData(c, paths.List(l.ID), f)
	if err != nil {
		return d, err
	}
	d.List, d.Total = &l, l.Members
	d.ListForm = contacts.ListForm{ID: l.ID, Name: l.Name, Description: l.Description}
	d.CanDelete = account.RoleAtLeast(a.Role, account.RoleAdmin)
	return d, nil
}
