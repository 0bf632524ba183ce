package messaging

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json/v2"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
)

// The sealed evidence of a report. When a report is filed, the reported
// message, its earlier versions (message_versions) and up to
// report_context_messages messages before and after it are copied, as they
// are at that moment, into the report's evidence: canonical JSON (the
// Evidence struct marshalled, fields in declaration order) and its sha256
// in evidence_hash. A conversation report seals its newest 2N+1 messages.
// Nothing ever writes the evidence again: the author's later edit or
// delete (blocked while the report is open, allowed after), a moderator's
// soft delete, even a purge of the conversation leave it as it was, and
// the moderator view recomputes the hash to show that it is intact.
//
// The window is one range of the (thread, seq) index and the versions one
// lookup per message of it: bounded by the setting, never by the size of
// the conversation.

// Evidence is a report's sealed copy of the conversation around what was
// reported.
type Evidence struct {
	// Version of the format, 1.
	Version int `json:"version"`
	// Thread is the conversation, Message the reported message ("" for a
	// conversation report) and Author the reported member ("" for nobody).
	Thread  string `json:"thread"`
	Message string `json:"message"`
	Author  string `json:"author"`
	// Sealed is when the copy was taken.
	Sealed string `json:"sealed"`
	// Messages are the window, oldest first.
	Messages []EvidenceMessage `json:"messages"`
}

// EvidenceMessage is one message as it was when the report was filed.
// Body is empty for a message already deleted then.
type EvidenceMessage struct {
	ID       string            `json:"id"`
	Seq      int               `json:"seq"`
	Author   string            `json:"author"`
	Body     string            `json:"body"`
	Created  string            `json:"created"`
	Edited   string            `json:"edited"`
	Deleted  bool              `json:"deleted"`
	Versions []EvidenceVersion `json:"versions"`
}

// EvidenceVersion is an earlier body of an edited message, and when an
// edit replaced it.
type EvidenceVersion struct {
	Body     string `json:"body" db:"body"`
	Replaced string `json:"replaced" db:"replaced"`
}

// sealed is a marshalled Evidence with its hash and window.
type sealed struct {
	raw      types.JSONRaw
	hash     string
	from, to int
}

// sealEvidence copies the window around target (a conversation's newest
// when target.Seq is 0) inside tx.
func (m *Messaging) sealEvidence(tx core.App, target reportedMessage, author string) (sealed, error) {
	n := m.Limits().ReportContext
	from, to := target.Seq-n, target.Seq+n
	if target.Seq == 0 {
		var last int
		if err := tx.DB().NewQuery(`SELECT last_seq FROM threads WHERE id = {:t}`).
			Bind(dbx.Params{"t": target.Thread}).Row(&last); err != nil {
			return sealed{}, err
		}
		from, to = last-2*n, last
	}
	ev := Evidence{Version: 1, Thread: target.Thread, Message: target.ID, Author: author,
		Sealed: dateTime(m.clock()), Messages: []EvidenceMessage{}}
	var rows []struct {
		ID      string `db:"id"`
		Seq     int    `db:"seq"`
		Author  string `db:"author"`
		Body    string `db:"body"`
		Created string `db:"created"`
		Edited  string `db:"edited"`
		Deleted bool   `db:"deleted"`
	}
	err := tx.DB().NewQuery(`SELECT id, seq, author, body, created, edited, deleted FROM messages
		WHERE thread = {:t} AND seq BETWEEN {:from} AND {:to} ORDER BY seq`).
		Bind(dbx.Params{"t": target.Thread, "from": from, "to": to}).All(&rows)
	if err != nil {
		return sealed{}, err
	}
	for _, r := range rows {
		em := EvidenceMessage{ID: r.ID, Seq: r.Seq, Author: r.Author, Body: r.Body, Created: r.Created,
			Edited: r.Edited, Deleted: r.Deleted, Versions: []EvidenceVersion{}}
		if r.Edited != "" {
			err := tx.DB().NewQuery(`SELECT body, created AS replaced FROM message_versions
				WHERE message = {:m} ORDER BY created, rowid`).Bind(dbx.Params{"m": r.ID}).All(&em.Versions)
			if err != nil {
				return sealed{}, err
			}
		}
		ev.Messages = append(ev.Messages, em)
	}
	raw, hash, err := canonicalEvidence(ev)
	return sealed{raw: raw, hash: hash, from: from, to: to}, err
}

// canonicalEvidence is ev's canonical JSON and its sha256 in hex.
func canonicalEvidence(ev Evidence) (types.JSONRaw, string, error) {
	raw, err := json.Marshal(ev)
	if err != nil {
		return nil, "", err
	}
	sum := sha256.Sum256(raw)
	return raw, hex.EncodeToString(sum[:]), nil
}

// readEvidence parses a report's evidence and reports whether it still
// matches its hash.
func readEvidence(r *core.Record) (Evidence, bool) {
	var ev Evidence
	raw, _ := r.GetRaw("evidence").(types.JSONRaw)
	if err := json.Unmarshal(raw, &ev); err != nil {
		return ev, false
	}
	_, hash, err := canonicalEvidence(ev)
	return ev, err == nil && hash == r.GetString("evidence_hash")
}

// ReporterView is a report as its reporter sees it: their own words and
// the state, never the evidence nor who handled it; Reviewed is when it
// was resolved. Outcome is "" while
// unresolved, "dismissed", "message_deleted" or "action_taken" (a
// suspension is the author's business).
type ReporterView struct {
	ID       string `json:"id"`
	Message  string `json:"message"`
	Thread   string `json:"thread"`
	Reason   string `json:"reason"`
	Details  string `json:"details"`
	State    string `json:"state"`
	Outcome  string `json:"outcome"`
	Summary  string `json:"summary"`
	Created  string `json:"created"`
	Reviewed string `json:"reviewed"`
}

func reporterView(r *core.Record) ReporterView {
	v := ReporterView{ID: r.Id, Message: r.GetString("message"), Thread: r.GetString("thread"),
		Reason: r.GetString("reason"), Details: r.GetString("details"), State: r.GetString("state"),
		Created: r.GetString("created")}
	switch v.State {
	case ReportOpen:
		v.Summary = "Your report was received."
	case ReportEscalated:
		v.Summary = "Your report is being reviewed."
	default:
		v.Summary = "Your report was reviewed."
		v.Outcome, v.Reviewed = r.GetString("outcome"), r.GetString("handled_at")
		if v.Outcome == OutcomeSuspended {
			v.Outcome = "action_taken"
		}
	}
	return v
}

// ModeratorReport is a report as moderators see it: the queue's item, and
// with Evidence (the report's own view) the sealed evidence and whether it
// still matches its hash.
type ModeratorReport struct {
	ID             string    `json:"id"`
	Reporter       string    `json:"reporter"`
	Message        string    `json:"message"`
	Thread         string    `json:"thread"`
	Author         string    `json:"author"`
	Reason         string    `json:"reason"`
	Details        string    `json:"details"`
	State          string    `json:"state"`
	Outcome        string    `json:"outcome"`
	HandledBy      string    `json:"handledBy"`
	HandledAt      string    `json:"handledAt"`
	Created        string    `json:"created"`
	Evidence       *Evidence `json:"evidence,omitzero"`
	EvidenceHash   string    `json:"evidenceHash,omitzero"`
	EvidenceIntact *bool     `json:"evidenceIntact,omitzero"`
	// People names the report's view's users (reporter, author, the
	// evidence's authors, the handler) by id, so a moderator reads names,
	// not ids; a deleted account is absent.
	People map[string]Member `json:"people,omitzero"`
}

func moderatorReport(r *core.Record, withEvidence bool) ModeratorReport {
	v := ModeratorReport{ID: r.Id, Reporter: r.GetString("reporter"), Message: r.GetString("message"),
		Thread: r.GetString("thread"), Author: r.GetString("author"), Reason: r.GetString("reason"),
		Details: r.GetString("details"), State: r.GetString("state"), Outcome: r.GetString("outcome"),
		HandledBy: r.GetString("handled_by"), HandledAt: r.GetString("handled_at"), Created: r.GetString("created")}
	if withEvidence {
		ev, ok := readEvidence(r)
		v.Evidence, v.EvidenceHash, v.EvidenceIntact = &ev, r.GetString("evidence_hash"), &ok
	}
	return v
}
