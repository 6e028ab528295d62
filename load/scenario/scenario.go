// Package scenario describes a load run as populations of users: who
// listens, who sends how often and how much, how chats of very different
// sizes are filled, who reads slowly, and which sessions drop and come back
// (steady churn and reconnect storms). Parse reads the YAML form and
// reports every mistake with its line and field; Layout deals users and
// their sessions into chats. The package reads no files: the command hands
// it the bytes.
//
// A minimal scenario:
//
//	duration: 10s
//	users: 100
//	chats: [{count: 10, share: 1}]
//	populations:
//	  - name: senders
//	    share: 1
//	    rate: 1
package scenario

import "time"

// Scenario is one run's world and traffic. Build it with Parse, or by hand
// and check it with Validate.
type Scenario struct {
	// Name labels the scenario in results.
	Name string
	// Duration of sending.
	Duration time.Duration
	// Users in the whole run, split over Populations by share.
	Users int
	// Seed makes the think times, body sizes and churn picks repeatable
	// (0: a fixed default).
	Seed int64
	// Chats are groups of chats; each group takes its share of all
	// sessions, spread evenly over its chats.
	Chats []ChatGroup
	// Populations split the users; their shares add up to 1.
	Populations []Population
	// Churn drops and reconnects sessions at a steady rate (zero: none).
	Churn Churn
	// Storms drop many sessions at once, as a deploy does.
	Storms []Storm
}

// ChatGroup is Count chats that together hold Share of all sessions: a
// group of 4 chats with share 0.5 makes four large rooms when another
// group of 200 chats shares the other half.
type ChatGroup struct {
	Name  string
	Count int
	Share float64
}

// Population is a group of users who behave alike.
type Population struct {
	Name string
	// Share of the run's users, in (0,1].
	Share float64
	// Chats is how many chats each user sits in, one session each
	// (default 1).
	Chats int
	// Think is the time between one user's messages; nil: the users only
	// listen. A user in several chats spreads its messages over them.
	Think *Dist
	// Body is the size of message bodies in bytes (nil: DefaultBody).
	Body *Dist
	// ReadEvery, when positive, makes the users slow readers: each of
	// their sessions reads at most one message per ReadEvery.
	ReadEvery time.Duration
}

// Sends reports whether the population sends messages.
func (p *Population) Sends() bool { return p.Think != nil }

// Churn is a steady stream of sessions that drop and come back: Rate
// sessions per second (over the whole run) disconnect, stay away for Down,
// and reconnect with `after` (CON-2).
type Churn struct {
	Rate float64
	Down time.Duration
}

// Storm is a deploy: at At, Sessions sessions drop at once and reconnect
// at times spread evenly over Window.
type Storm struct {
	At       time.Duration
	Sessions int
	Window   time.Duration
}

// Limits on bodies: a body carries the generator's 23-byte send-time tag,
// and WCP/1 allows at most 16384 bytes.
const (
	MinBodyBytes = 23
	MaxBodyBytes = 16384
	DefaultBody  = 64
)
