package messaging

import (
	"sort"

	"github.com/pocketbase/pocketbase/core"
)

// One direct thread per pair of people. Starting a conversation with a
// single recipient reuses the direct thread the two share. threads.direct_key
// holds the sorted pair, and a unique partial index on it
// (idx_messaging_threads_direct_key) makes a second one impossible even
// when two starts race: the later insert fails and its transaction rolls
// back. Direct threads can't be left (archive them instead) and take no new
// members; once the other person's account is deleted the thread stays
// readable but takes no new messages (permissions.go, checkCanPost).

// directThread returns the direct thread of a and b, creating it with both
// as members when there is none.
func (m *Messaging) directThread(tx core.App, a, b string) (*core.Record, error) {
	key := DirectKey(a, b)
	if existing, err := tx.FindFirstRecordByData(CollectionNameThreads, "direct_key", key); err == nil {
		return existing, nil
	}
	return m.createThread(tx, KindDirect, "", key, a, []string{b})
}

// DirectKey is the threads.direct_key of the direct thread of a and b, the
// same whichever way round they are given; its unique index is what keeps
// a pair to one direct thread. Exported for bulk seeding.
func DirectKey(a, b string) string {
	pair := []string{a, b}
	sort.Strings(pair)
	return pair[0] + ":" + pair[1]
}
