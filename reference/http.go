package reference

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
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

func (s *Server) routes() []route {
	return []route{
		{"/healthz", map[string]handlerFunc{http.MethodGet: s.healthz}},
		{"/users", map[string]handlerFunc{http.MethodPost: s.createUser}},
		{"/workspaces", map[string]handlerFunc{http.MethodPost: s.createWorkspace}},
		{"/workspaces/{id}", map[string]handlerFunc{http.MethodGet: s.getWorkspace, http.MethodDelete: s.deleteWorkspace}},
		{"/workspaces/{id}/members", map[string]handlerFunc{http.MethodPost: s.addMember}},
		{"/workspaces/{id}/members/{user_id}", map[string]handlerFunc{http.MethodDelete: s.removeMember}},
		{"/workspaces/{id}/chats", map[string]handlerFunc{http.MethodGet: s.listChats}},
		{"/chat", map[string]handlerFunc{http.MethodPost: s.createChat}},
		{"/chat/{id}", map[string]handlerFunc{http.MethodGet: s.getChat, http.MethodDelete: s.deleteChat}},
		{"/chat/{id}/connection-string", map[string]handlerFunc{http.MethodPost: s.createConnString}},
		{"/chat/{id}/messages", map[string]handlerFunc{http.MethodGet: s.listMessages}},
	}
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
	mux.Handle("/socket.io/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
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
			s.writeError(w, wcp.Errorf(wcp.CodeNotFound, "no such path"))
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
			s.writeError(w, wcp.Errorf(wcp.CodeNotFound, "no such path"))
			return
		}
		h, ok := methods[r.Method]
		if !ok && r.Method == http.MethodHead {
			h, ok = methods[http.MethodGet]
		}
		if !ok {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.writeError(w, wcp.Errorf(wcp.CodeMethodNotAllowed, r.Method+" is not allowed here"))
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
// refusals are server faults: logged, and answered 500 with code "internal"
// (outside the protocol's table, which only lists refusals).
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var e *wcp.Error
	status := http.StatusInternalServerError
	if errors.As(err, &e) {
		status = wcp.HTTPStatus(e.Code)
	} else {
		s.log.Error("internal error", "err", err)
		e = wcp.Errorf("internal", "internal server error")
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
// one JSON value of dst's shape is a 400. Unknown fields are ignored, so that
// clients may send extensions. An empty body decodes as {} when emptyOK.
func (s *Server) readJSON(r *http.Request, dst any, emptyOK bool) error {
	limit := int64(wcp.MaxHTTPBody)
	if s.fault == fault.NoBodyLimit {
		limit = 64 << 20
	}
	if r.ContentLength > limit {
		return wcp.Errorf(wcp.CodePayloadTooLarge, fmt.Sprintf("body over %d bytes", wcp.MaxHTTPBody))
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		return wcp.Errorf(wcp.CodeBadRequest, "could not read the body")
	}
	if int64(len(b)) > limit {
		return wcp.Errorf(wcp.CodePayloadTooLarge, fmt.Sprintf("body over %d bytes", wcp.MaxHTTPBody))
	}
	if emptyOK && len(bytes.TrimSpace(b)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(dst); err != nil {
		return wcp.Errorf(wcp.CodeBadRequest, "body is not a JSON object of the expected shape: "+jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return wcp.Errorf(wcp.CodeBadRequest, "trailing data after the JSON body")
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
		return "", wcp.Errorf(wcp.CodeUnauthenticated, "missing or malformed bearer token")
	}
	id, err := s.store.UserByTokenHash(r.Context(), hashToken(token))
	if wcp.ErrorCode(err) == wcp.CodeNotFound {
		return "", wcp.Errorf(wcp.CodeUnauthenticated, "unknown token")
	}
	if err != nil {
		return "", fmt.Errorf("authenticate: %w", err)
	}
	return id, nil
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
