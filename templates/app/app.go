// Package app renders the signed-in home: the dashboard.
package app

// DashboardData is what the dashboard shows.
type DashboardData struct {
	FirstName, OrgName string
	EmailVerified      bool
	Todo               []TodoItem // the "Getting started" list; empty uses the built-in one
}

// TodoItem is one step of "Getting started". An item that is not done
// links to URL with LinkText; without a URL, LinkText is shown as a
// status (e.g. "Soon").
type TodoItem struct {
	Text, LinkText, URL string
	Done                bool
}

// figures are the 30-day cards; the numbers arrive with sending.
var figures = []string{"Sent", "Delivered", "Read", "Replied", "Opted out"}

func doneCount(items []TodoItem) int {
	n := 0
	for _, it := range items {
		if it.Done {
			n++
		}
	}
	return n
}

func greeting(first string) string {
	if first == "" {
		return "Welcome to Tidings"
	}
	return "Welcome, " + first
}
