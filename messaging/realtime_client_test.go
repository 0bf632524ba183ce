package messaging

import (
	"testing"

	"github.com/pocketbase/pocketbase/tools/subscriptions"
)

func TestLiveClient_SkipsRecordLookupsOnlyWhenLiveOnly(t *testing.T) {
	for _, tc := range []struct {
		name      string
		subs      []string
		prefix    string
		wantMatch bool
	}{
		{"live only, record topic", []string{"messaging"}, "messages/*?", false},
		{"live with options, record topic", []string{`messaging?options={"query":{}}`}, "messages/abc?", false},
		{"live only, live topic", []string{"messaging"}, "messaging?", true},
		{"mixed, record topic", []string{"messaging", "messages/*"}, "messages/*?", true},
		{"record only", []string{"messages/*"}, "messages/*?", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newLiveClient(subscriptions.NewDefaultClient())
			c.Subscribe(tc.subs...)
			if got := len(c.Subscriptions(tc.prefix)) > 0; got != tc.wantMatch {
				t.Fatalf("Subscriptions(%q) matched = %v, want %v", tc.prefix, got, tc.wantMatch)
			}
			c.Unsubscribe()
			c.Subscribe("messages/*")
			if len(c.Subscriptions("messages/*?")) == 0 {
				t.Fatal("after resubscribing to a record topic the lookup must match")
			}
		})
	}
}
