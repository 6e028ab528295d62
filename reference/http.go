package reference

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/internal/fault"
)

// handlerFunc is an HTTP handler that returns its refusal instead of
// writing it, so that every error goes through writeError.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// route maps the methods of one path pattern to their handlers.
type route struct {
	pattern string
	methods map[string]handlerFunc
}

// routes is section 3's call table. The mux patterns come from the
// contract's paths, with a wildcard in place of each ID.
func (s *Server) routes() []route {
	id, userID := "{id}", "{user_id}"
	return []route{
		{wcp.PathHealthz, map[string]handlerFunc{http.MethodGet: s.healthz}},
		{wcp.PathUsers, map[string]handlerFunc{http.MethodPost: s.createUser}},
		{wcp.PathWorkspaces, map[string]handlerFunc{http.MethodPost: s.createWorkspace}},
		{pattern(wcp.WorkspacePath(id)), map[string]handlerFunc{http.MethodGet: s.getWorkspace, http.MethodDelete: s.deleteWorkspace}},
		{pattern(wcp.MembersPath(id)), map[string]handlerFunc{http.MethodPost: s.addMember}},
		{pattern(wcp.MemberPath(id, userID)), map[string]handlerFunc{http.MethodDelete: s.removeMember}},
		{pattern(wcp.WorkspaceChatsPath(id)), map[string]handlerFunc{http.MethodGet: s.listChats}},
		{wcp.PathChats, map[string]handlerFunc{http.MethodPost: s.createChat}},
		{pattern(wcp.ChatPath(id)), map[string]handlerFunc{http.MethodGet: s.getChat, http.MethodDelete: s.deleteChat}},
		{pattern(wcp.ConnectionStringPath(id)), map[string]handlerFunc{http.MethodPost: s.createConnString}},
		{pattern(wcp.MessagesPath(id)), map[string]handlerFunc{http.MethodGet: s.listMessages}},
	}
}

// pattern undoes the escaping the wcp path functions apply to IDs, which
// turns a wildcard such as {id} into %7Bid%7D.
func pattern(path string) string {
	p, _ := url.PathUnescape(path) // cannot fail: url.PathEscape wrote it
	return p
}

// newHandler builds the whole HTTP surface: the API, /metrics and Socket.IO.
// Patterns are registered without methods and dispatched here, so that a
// wrong method gets the JSON 405 and an unknown path the JSON 404 rather
// than the mux's plain-text replies.
func (s *Server) newHandler(socketIO, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.pattern, s.dispatch(rt.methods))
	}
	mux.Handle("/metrics", s.dispatch(map[string]handlerFunc{http.MethodGet: func(w http.ResponseWriter, r *http.Request) error {
		metrics.ServeHTTP(w, r)
		return nil
	}}))
	mux.Handle(wcp.PathSocketIO, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w = s.socketIODeadlines(w, r) // long-polls wait before they write (timeouts.go)
		if isUpgrade(r) {
			batchWrites(r.Context())
		}
		socketIO.ServeHTTP(w, r)
	}))
	mux.Handle("/", s.dispatch(nil))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer s.recoverHTTP(w, r)
		// The mux would answer an unclean path with a redirect; the protocol
		// has no such paths, so they are simply unknown.
		if p := r.URL.Path; !cleanPath(p) || r.Method == http.MethodConnect {
			s.writeError(w, wcp.NewError(wcp.CodeNotFound, "no such path"))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// cleanPath reports whether p is absolute and clean, but for one trailing
// slash (Socket.IO's "/socket.io/").
func cleanPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	return c == p || (c != "/" && c+"/" == p)
}

// dispatch picks the handler for r.Method; nil methods means "no such path".
func (s *Server) dispatch(methods map[string]handlerFunc) http.Handler {
	allow := make([]string, 0, len(methods))
	for m := range methods {
		allow = append(allow, m)
	}
	slices.Sort(allow)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if methods == nil {
			s.writeError(w, wcp.NewError(wcp.CodeNotFound, "no such path"))
			return
		}
		h, ok := methods[r.Method]
		if !ok && r.Method == http.MethodHead {
			h, ok = methods[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, wcp.NewError(wcp.CodeMethodNotAllowed, r.Method+" is not allowed here"))
			return
		}
		if err := h(w, r); err != nil {
			s.writeError(w, err)
		}
	})
}

func (s *Server) recoverHTTP(w http.ResponseWriter, r *http.Request) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		s.log.Error("panic in HTTP handler", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		s.writeError(w, errors.New("internal panic"))
	}
}

// writeError answers with the protocol's JSON error body. Errors that are not
// refusals are server faults: logged, and answered 500 with wcp.CodeInternal
// (outside the protocol's table, which only lists refusals). A body that ran
// out of ReadTimeout gets no answer at all (errReadTimeout).
func (s *Server) writeError(w http.ResponseWriter, err error) {
	if errors.Is(err, errReadTimeout) {
		abort(w)
		return
	}
	var e *wcp.Error
	status := http.StatusInternalServerError
	if errors.As(err, &e) {
		status = wcp.HTTPStatus(e.Code)
	} else {
		s.log.Error("internal error", "err", err)
		e = wcp.NewError(wcp.CodeInternal, "internal server error")
	}
	if s.fault == fault.PlainTextErrors {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(status)
		fmt.Fprintln(w, e.Error())
		return
	}
	writeJSON(w, status, wcp.ErrorBody{Error: e})
}

func writeJSON(w http.ResponseWriter, status int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode response: %w", err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
	return nil
}

// readJSON reads at most wcp.MaxHTTPBody bytes and decodes them into dst. A
// larger body is refused with 413 before any parsing; anything that is not
// one JSON value of dst's shape is a 400, and so is a body without one of
// the required fields or with null for it (dst's value fields cannot tell
// those from ""). Unknown fields are ignored, so that clients may send
// extensions. An empty body decodes as {} when emptyOK.
func (s *Server) readJSON(r *http.Request, dst any, emptyOK bool, required ...string) error {
	limit := int64(wcp.MaxHTTPBody)
	if s.fault == fault.NoBodyLimit {
		limit = 64 << 20
	}
	if r.ContentLength > limit {
		return wcp.NewError(wcp.CodePayloadTooLarge, fmt.Sprintf("body over %d bytes", wcp.MaxHTTPBody))
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if isTimeout(err) {
		return errReadTimeout
	}
	if err != nil {
		return wcp.NewError(wcp.CodeBadRequest, "could not read the body")
	}
	if int64(len(b)) > limit {
		return wcp.NewError(wcp.CodePayloadTooLarge, fmt.Sprintf("body over %d bytes", wcp.MaxHTTPBody))
	}
	if emptyOK && len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(dst); err != nil {
		return wcp.NewError(wcp.CodeBadRequest, "body is not a JSON object of the expected shape: "+jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return wcp.NewError(wcp.CodeBadRequest, "trailing data after the JSON body")
	}
	return requireFields(b, required)
}

// requireFields refuses a JSON body (already known to decode into its
// struct) that lacks one of names or whose last value for it is null,
// naming the first such field. Keys match as encoding/json matches them to
// struct fields: case-insensitively, the last occurrence winning.
func requireFields(b []byte, names []string) error {
	if len(names) == 0 {
		return nil
	}
	given := make(map[string]bool, len(names))
	dec := json.NewDecoder(bytes.NewReader(b))
	if t, err := dec.Token(); err == nil && t == json.Delim('{') {
		for dec.More() {
			t, err := dec.Token()
			var v json.RawMessage
			if err != nil || dec.Decode(&v) != nil {
				break // cannot happen: the body decoded once already
			}
			key, _ := t.(string)
			for _, name := range names {
				if strings.EqualFold(key, name) {
					given[name] = string(v) != "null"
				}
			}
		}
	}
	for _, name := range names {
		if !given[name] {
			return wcp.NewError(wcp.CodeBadRequest, name+" is required")
		}
	}
	return nil
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field == "" {
			return "want an object, got " + te.Value
		}
		return fmt.Sprintf("field %q: want %s, got %s", te.Field, te.Type, te.Value)
	}
	return "malformed JSON"
}

// authenticate returns the ID of the user whose bearer token r carries.
func (s *Server) authenticate(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	scheme, token, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || token == "" || strings.ContainsAny(token, " \t") {
		return "", wcp.NewError(wcp.CodeUnauthenticated, "missing or malformed bearer token")
	}
	id, err := s.store.UserByTokenHash(r.Context(), hashToken(token))
	if wcp.ErrorCode(err) == wcp.CodeNotFound {
		return "", wcp.NewError(wcp.CodeUnauthenticated, "unknown token")
	}
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	return id, nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
