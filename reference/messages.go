package reference

import (
	"fmt"
	"time"

	sio "github.com/zishang520/socket.io/servers/socket/v3"

	"github.com/wcp-project/wcp"
	"github.com/wcp-project/wcp/internal/fault"
)

// incoming is a `message` payload that passed the shape check.
type incoming struct {
	chatID, body, messageString string
	nonce                       int64
}

// parseMessage applies MSG-5's first two checks to a decoded payload: shape
// and types (bad_request), then body size (payload_too_large). It never
// panics, whatever payload is.
func parseMessage(payload any) (incoming, *wcp.Error) {
	var in incoming
	m, ok := payload.(map[string]any)
	if !ok {
		return in, wcp.NewError(wcp.CodeBadRequest, "payload must be an object")
	}
	if in.chatID, ok = m["chat_id"].(string); !ok {
		return in, wcp.NewError(wcp.CodeBadRequest, "chat_id must be a string")
	}
	if in.nonce, ok = jsonInt(m["nonce"], 1, wcp.MaxNonce); !ok {
		return in, wcp.NewError(wcp.CodeBadRequest, fmt.Sprintf("nonce must be an integer in 1..%d", int64(wcp.MaxNonce)))
	}
	if in.body, ok = m["body"].(string); !ok || in.body == "" {
		return in, wcp.NewError(wcp.CodeBadRequest, "body must be a non-empty string")
	}
	if in.messageString, ok = m["message_string"].(string); !ok {
		return in, wcp.NewError(wcp.CodeBadRequest, "message_string must be a string")
	}
	if len(in.body) > wcp.MaxBodyBytes {
		return in, wcp.NewError(wcp.CodePayloadTooLarge, fmt.Sprintf("body over %d bytes", wcp.MaxBodyBytes))
	}
	return in, nil
}

// checkMessage applies the rest of MSG-5 against the session, in order:
// wrong_chat, invalid_message_string, replayed_message. On success the
// nonce counts as accepted. Runs on the session's handler goroutine only.
func (s *Server) checkMessage(ss *session, in incoming) *wcp.Error {
	if in.chatID != ss.chatID {
		return wcp.NewError(wcp.CodeWrongChat, "this session is bound to another chat")
	}
	replayed := in.nonce <= ss.lastNonce && s.fault != fault.NonceUnchecked
	if s.fault == fault.CheckOrderSwapped && replayed {
		return wcp.NewError(wcp.CodeReplayedMessage, "nonce not above the last accepted one")
	}
	if !ss.signer.Verify(in.chatID, ss.id, in.nonce, in.body, in.messageString) {
		if s.fault == fault.BodyNotSigned && isLowerHex64(in.messageString) {
			// The defect: a well-formed string passes whatever body it came with.
		} else {
			if s.fault == fault.RefusedDelivered {
				s.hubs.publish(wcp.Message{ID: newID("m_"), ChatID: ss.chatID, UserID: ss.userID, Body: in.body, SentAt: wcp.FormatTime(s.now())}, ss)
			}
			return wcp.NewError(wcp.CodeInvalidMessageString, "message_string does not match")
		}
	}
	if replayed {
		return wcp.NewError(wcp.CodeReplayedMessage, "nonce not above the last accepted one")
	}
	ss.lastNonce = in.nonce
	return nil
}

func isLowerHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// onMessage handles one `message` emit on the session's handler goroutine.
// It never blocks on the database: a valid message goes to the writer, which
// acknowledges it once committed.
func (s *Server) onMessage(ss *session, args []any) {
	received := time.Now()
	var ack sio.Ack
	if n := len(args); n > 0 {
		if a, ok := args[n-1].(sio.Ack); ok {
			ack, args = a, args[:n-1]
		}
	}
	var payload any
	if len(args) > 0 {
		payload = args[0]
	}
	in, werr := parseMessage(payload)
	if werr == nil {
		werr = s.checkMessage(ss, in)
	}
	if werr != nil {
		s.metrics.refused.WithLabelValues(string(werr.Code)).Inc()
		if _, isObject := payload.(map[string]any); !isObject && s.fault == fault.StallOnBadMessage {
			s.hubs.stall(ss.chatID, 30*time.Second, s.stop)
		}
		if ack != nil {
			ack([]any{wcp.Ack{OK: false, Error: werr}}, nil)
		}
		return
	}
	s.writer.submit(&pending{
		ss:       ss,
		ack:      ack,
		received: received,
		msg: wcp.Message{
			ID:     newID("m_"),
			ChatID: ss.chatID,
			UserID: ss.userID,
			Body:   in.body,
			SentAt: wcp.FormatTime(s.now()),
		},
	})
}
