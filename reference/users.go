package reference

import (
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/wcp-project/wcp"
)

// checkName refuses names outside 1..max characters (runes, not bytes).
func checkName(field, v string, max int) error {
	if n := utf8.RuneCountInString(v); n < 1 || n > max {
		return wcp.NewError(wcp.CodeBadRequest, fmt.Sprintf("%s must be 1..%d characters", field, max))
	}
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in wcp.CreateUserRequest
	if err := s.readJSON(r, &in, false, "name"); err != nil {
		return err
	}
	if err := checkName("name", in.Name, wcp.MaxNameLen); err != nil {
		return err
	}
	u := wcp.User{ID: newID("u_"), Name: in.Name, Token: newToken()}
	if err := s.store.CreateUser(r.Context(), u, hashToken(u.Token), wcp.FormatTime(s.now())); err != nil {
		return err
	}
	return writeJSON(w, http.StatusCreated, u)
}
