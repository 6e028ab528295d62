package wcp

// User is the answer to POST /users. Token is the bearer credential; it is
// only ever returned to the user it belongs to.
type User struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Token string `json:"token,omitempty"`
}

// Workspace is a named group of chats with one owner. Members lists the
// user IDs of its members, the owner not among them; it is only filled by
// GET /workspaces/{id}.
type Workspace struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	OwnerID   string   `json:"owner_id"`
	CreatedAt string   `json:"created_at"`
	Members   []string `json:"members,omitempty"`
}

// Chat is one conversation inside a workspace.
type Chat struct {
	ID          string `json:"id"`
	WorkspaceID string `json:"workspace_id"`
	Title       string `json:"title"`
	CreatedAt   string `json:"created_at"`
}

// ChatList is the answer to GET /workspaces/{id}/chats, oldest first.
type ChatList struct {
	Chats []Chat `json:"chats"`
}

// ConnectionString is the answer to POST /chat/{id}/connection-string.
type ConnectionString struct {
	ChatID           string `json:"chat_id"`
	ConnectionString string `json:"connection_string"`
	ExpiresAt        string `json:"expires_at"`
}

// Message is a stored, accepted message as GET /chat/{id}/messages lists it
// and as the `message` event delivers it.
type Message struct {
	ID     string `json:"id"`
	ChatID string `json:"chat_id"`
	Seq    int64  `json:"seq"`
	UserID string `json:"user_id"`
	Body   string `json:"body"`
	SentAt string `json:"sent_at"`
}

// MessagePage is the answer to GET /chat/{id}/messages.
type MessagePage struct {
	Messages  []Message `json:"messages"`
	NextAfter int64     `json:"next_after"`
}

// Auth is the Socket.IO handshake payload of /connect. After is a pointer
// because "absent" and "0" are both legal and mean the same, but a client
// that wants a replay from the start must be able to say 0.
type Auth struct {
	ChatID           string `json:"chat_id"`
	ConnectionString string `json:"connection_string"`
	After            *int64 `json:"after,omitempty"`
}

// Session is the payload of the `session` event (CON-1).
type Session struct {
	SessionID  string `json:"session_id"`
	ChatID     string `json:"chat_id"`
	UserID     string `json:"user_id"`
	MessageKey string `json:"message_key"`
}

// OutgoingMessage is the payload a client emits as `message` (PROTOCOL.md
// section 6).
type OutgoingMessage struct {
	ChatID        string `json:"chat_id"`
	Nonce         int64  `json:"nonce"`
	Body          string `json:"body"`
	MessageString string `json:"message_string"`
}

// Ack is the acknowledgement of a `message` emit: OK with ID and Seq, or a
// refusal carrying Error.
type Ack struct {
	OK    bool   `json:"ok"`
	ID    string `json:"id,omitempty"`
	Seq   int64  `json:"seq,omitempty"`
	Error *Error `json:"error,omitempty"`
}

// Revoked is the payload of the `revoked` event (CON-4).
type Revoked struct {
	Code Code `json:"code"`
}

// Event names on the socket.
const (
	EventSession = "session"
	EventMessage = "message"
	EventRevoked = "revoked"
)
