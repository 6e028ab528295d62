package wcp

import (
	"errors"
	"net/http"
)

// Code is a machine-readable error reason. The refusal codes below are all
// the codes WCP/1 defines, over HTTP, at connect time and in acks
// (PROTOCOL.md sections 2, 5 and 6); CodeInternal is the one code outside
// that set.
type Code string

// HTTP codes (PROTOCOL.md section 2).
const (
	CodeBadRequest       Code = "bad_request"
	CodeUnauthenticated  Code = "unauthenticated"
	CodeForbidden        Code = "forbidden"
	CodeNotFound         Code = "not_found"
	CodeMethodNotAllowed Code = "method_not_allowed"
	CodePayloadTooLarge  Code = "payload_too_large"
)

// Connect-time codes (CON-5, section 5), in the order the server checks them.
const (
	CodeInvalidConnectionString Code = "invalid_connection_string"
	CodeChatMismatch            Code = "chat_mismatch"
	CodeConnectionStringExpired Code = "connection_string_expired"
	CodeChatNotFound            Code = "chat_not_found"
	// CodeForbidden and CodeBadRequest are used at connect time too.
)

// Message codes (MSG-5, section 6), in the order the server checks them.
const (
	CodeWrongChat            Code = "wrong_chat"
	CodeInvalidMessageString Code = "invalid_message_string"
	CodeReplayedMessage      Code = "replayed_message"
	// CodeBadRequest and CodePayloadTooLarge are used for messages too.
)

// CodeInternal is not in the protocol's error table, which lists refusals
// only: it marks a failure of the server itself (HTTP 500, a refused
// connect or a message ack), never something the client did. Clients can
// only retry or give up. PROTOCOL.md section 9 says where the reference
// server uses it.
const CodeInternal Code = "internal"

// Error is a protocol refusal: a code for machines and a message for people.
// It is the `error` object of HTTP error bodies and refused acks, and the
// client returns it (with Status set for HTTP) whenever a server says no.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	// Status is the HTTP status the refusal came with; 0 on the socket.
	Status int `json:"-"`
}

// NewError builds an error with the given code and human text, used as is.
func NewError(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

func (e *Error) Error() string {
	if e.Message == "" {
		return string(e.Code)
	}
	return string(e.Code) + ": " + e.Message
}

// Is makes errors.Is(err, &Error{Code: c}) match any refusal with code c.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorCode returns the code of the first *Error in err's chain, or "".
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// HTTPStatus is the status section 2 pairs with an HTTP error code; 500 for
// CodeInternal and any other code that is not an HTTP code.
func HTTPStatus(c Code) int {
	switch c {
	case CodeBadRequest:
		return http.StatusBadRequest
	case CodeUnauthenticated:
		return http.StatusUnauthorized
	case CodeForbidden:
		return http.StatusForbidden
	case CodeNotFound:
		return http.StatusNotFound
	case CodeMethodNotAllowed:
		return http.StatusMethodNotAllowed
	case CodePayloadTooLarge:
		return http.StatusRequestEntityTooLarge
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of every HTTP error.
type ErrorBody struct {
	Error *Error `json:"error"`
}
