// Package fault names the deliberate defects the reference server can be
// started with, so that the conformance specs can prove they fail against a
// server that breaks a rule. It is internal: only this module's tests can
// reach it, and no binary exposes it but one built with -tags wcpfault (the
// hidden wcp serve --fault, for test images).
package fault

import (
	"fmt"
	"slices"
)

// Fault is one named defect. The zero value is "no fault".
type Fault string

// Fault describes a defect and the rule IDs whose specs must catch it.
type Info struct {
	Fault Fault
	Rules []string // the rule IDs whose specs must fail against it
	What  string
}

// The catalogue. Every rule ID of the protocol has at least one entry.
const (
	None Fault = ""

	OwnerCheckSkipped    Fault = "owner-check-skipped"     // a member may POST /chat
	CreateBeforeChecks   Fault = "create-before-checks"    // POST /chat stores the chat before the 404/403 checks
	MemberMayDeleteChat  Fault = "member-may-delete-chat"  // OWN-2
	OutsiderMayRead      Fault = "outsider-may-read"       // OWN-3: GET /chat/{id} by an outsider is 200
	OwnerRemovable       Fault = "owner-removable"         // OWN-4: DELETE members/{owner} is 204
	DeletedChatReadable  Fault = "deleted-chat-readable"   // OWN-5: GET /chat/{id} after delete is 200
	ConnStringUnchecked  Fault = "connstring-unchecked"    // EXP-1: the signature of a connection string is not checked
	ExpiredAccepted      Fault = "expired-accepted"        // EXP-2: expiry is not checked at connect
	TTLUnchecked         Fault = "ttl-unchecked"           // EXP-3: any ttl_seconds is accepted (clamped)
	ExpiresAtWrong       Fault = "expires-at-wrong"        // EXP-4: expires_at is issue time + 2*ttl
	StaticMessageKey     Fault = "static-message-key"      // CON-1/MSG-4: one key per (user, chat) for every session
	ReplayGap            Fault = "replay-gap"              // CON-2: the replay skips the first stored message after `after`
	SingleSessionPerUser Fault = "single-session-per-user" // CON-3: a new session of a user ends the user's older ones
	NoRevoke             Fault = "no-revoke"               // CON-4: removed members keep their sessions
	ChatBindingSkipped   Fault = "chat-binding-skipped"    // CON-5: a string for chat A connects to chat B
	ExpiryBeforeSig      Fault = "expiry-before-signature" // CON-5: expiry is checked before authenticity
	SeqGap               Fault = "seq-gap"                 // MSG-1: seq goes 1, 3, 5, ...
	NoSelfDelivery       Fault = "no-self-delivery"        // MSG-1: the sender's session does not get its message
	RefusedDelivered     Fault = "refused-delivered"       // MSG-2: a message with a bad string is refused but delivered
	NotDurable           Fault = "not-durable"             // MSG-3: messages live in memory only, lost on restart
	BodyNotSigned        Fault = "body-not-signed"         // MSG-5: the body is left out of the HMAC check
	NonceUnchecked       Fault = "nonce-unchecked"         // MSG-5: replayed nonces are accepted
	CheckOrderSwapped    Fault = "check-order-swapped"     // MSG-5: the nonce is checked before the message string
	StallOnBadMessage    Fault = "stall-on-bad-message"    // ROB-1: a non-object message payload stalls the session's chat for everyone
	NoBodyLimit          Fault = "no-body-limit"           // ROB-2: HTTP bodies over 64 KiB are parsed (and 400, not 413)
	PlainTextErrors      Fault = "plain-text-errors"       // ROB-2: HTTP errors are text/plain, not the JSON error body
)

var catalogue = []Info{
	{OwnerCheckSkipped, []string{"OWN-1", "OWN-2"}, "a member may create chats"},
	{CreateBeforeChecks, []string{"OWN-1"}, "a refused POST /chat still creates the chat"},
	{MemberMayDeleteChat, []string{"OWN-2"}, "a member may delete chats"},
	{OutsiderMayRead, []string{"OWN-3"}, "an outsider may read a chat"},
	{OwnerRemovable, []string{"OWN-4"}, "the owner can be removed from members"},
	{DeletedChatReadable, []string{"OWN-5"}, "a deleted chat can still be read"},
	{ConnStringUnchecked, []string{"EXP-1"}, "a tampered connection string is accepted"},
	{ExpiredAccepted, []string{"EXP-2"}, "an expired connection string is accepted"},
	{TTLUnchecked, []string{"EXP-3"}, "out-of-range ttl_seconds is clamped instead of refused"},
	{ExpiresAtWrong, []string{"EXP-4"}, "expires_at is issue time + 2*ttl"},
	{StaticMessageKey, []string{"CON-1", "MSG-4"}, "every session of a (user, chat) gets the same message key"},
	{ReplayGap, []string{"CON-2"}, "a replay skips the first message after `after`"},
	{SingleSessionPerUser, []string{"CON-3"}, "a user's new session ends the older ones"},
	{NoRevoke, []string{"CON-4"}, "a removed member keeps the session"},
	{ChatBindingSkipped, []string{"CON-5"}, "a connection string for one chat opens another"},
	{ExpiryBeforeSig, []string{"CON-5"}, "expiry is checked before authenticity"},
	{SeqGap, []string{"MSG-1"}, "seq has gaps"},
	{NoSelfDelivery, []string{"MSG-1"}, "the sender's own session does not receive its message"},
	{RefusedDelivered, []string{"MSG-2"}, "a refused message is still delivered"},
	{NotDurable, []string{"MSG-3"}, "acknowledged messages are lost on restart"},
	{BodyNotSigned, []string{"MSG-5"}, "the body is not covered by the message string check"},
	{NonceUnchecked, []string{"MSG-5"}, "replayed nonces are accepted"},
	{CheckOrderSwapped, []string{"MSG-5"}, "the nonce is checked before the message string"},
	{StallOnBadMessage, []string{"ROB-1"}, "a malformed message stalls the chat for everyone"},
	{NoBodyLimit, []string{"ROB-2"}, "bodies over 64 KiB are parsed"},
	{PlainTextErrors, []string{"ROB-2"}, "HTTP errors are plain text"},
}

// All lists every fault with the rules it breaks, in a stable order.
func All() []Info { return slices.Clone(catalogue) }

// Parse returns the fault with the given name ("" is None).
func Parse(name string) (Fault, error) {
	if name == "" {
		return None, nil
	}
	for _, i := range catalogue {
		if string(i.Fault) == name {
			return i.Fault, nil
		}
	}
	return None, fmt.Errorf("unknown fault %q", name)
}
