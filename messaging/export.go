package messaging

import (
	"encoding/json/v2"
	"errors"
	"io"
	"strings"

	"github.com/pocketbase/pocketbase/tools/types"
)

// Export: a member's conversations and messages as one JSON document,
// written as it is read, a page at a time, so that its size is not bounded
// by memory. It holds exactly what the member can read through the API:
// the threads they are a current member of (inbox, archived and pending
// requests; not declined requests, not groups they left, not what "delete
// for me" hides), each as the thread view the API returns, and its
// messages, oldest first, through the same query as the message pages
// (deleted messages keep their place with an empty body; attachments are
// their names and URLs, which need the member's file token).
//
//	{"user":"…","exported":"…","threads":[
//	  {"thread":{…ThreadView…},"messages":[{…MessageView…},…]},
//	  …]}

const (
	// exportThreadPage is the number of thread views read per query.
	exportThreadPage = 50
	// exportMessagePage is the number of messages read per query.
	exportMessagePage = 500
)

// exportFlusher is a writer whose buffered output can be sent on (an HTTP
// response): Export flushes it after each page.
type exportFlusher interface{ Flush() error }

// Export writes user's conversations and messages to w as JSON (see the
// format above), reading a page of threads or messages at a time. The
// thread ids are read first (ids only), so a thread joined during the
// export is left out; messages written meanwhile may be in it. An error
// from w or the database stops it, leaving the document unfinished.
func (m *Messaging) Export(user string, w io.Writer) error {
	var threads []string
	err := m.app.DB().NewQuery(`SELECT tm.thread FROM thread_members tm JOIN threads t ON t.id = tm.thread
		WHERE tm.user = {:user} AND tm.` + memberIsCurrent + ` AND tm.` + memberNotDeclined + ` AND ` + notHiddenSQL + `
		ORDER BY tm.last_activity DESC, tm.id DESC`).Bind(map[string]any{"user": user}).Column(&threads)
	if err != nil {
		return err
	}
	head, err := json.Marshal(map[string]string{"user": user, "exported": types.NowDateTime().String()})
	if err != nil {
		return err
	}
	ew := &exportWriter{w: w}
	ew.write(strings.TrimSuffix(string(head), "}") + `,"threads":[`)
	for start := 0; start < len(threads) && ew.err == nil; start += exportThreadPage {
		chunk := threads[start:min(start+exportThreadPage, len(threads))]
		views, err := m.queryThreadViews(searchThreadsSQL, user, inParam(chunk))
		if err != nil {
			return err
		}
		byID := make(map[string]ThreadView, len(views))
		for _, v := range views {
			byID[v.ID] = v
		}
		for _, id := range chunk {
			v, ok := byID[id]
			if !ok {
				continue // left or deleted since the ids were read
			}
			if start > 0 || id != chunk[0] {
				ew.write(",")
			}
			if err := m.exportThread(ew, user, v); err != nil {
				return err
			}
		}
	}
	ew.write("]}\n")
	return ew.err
}

// exportThread writes one thread and its messages, oldest first, paging
// with the after= cursor's query (messageRows).
func (m *Messaging) exportThread(ew *exportWriter, user string, v ThreadView) error {
	ew.json(`{"thread":`, v)
	ew.write(`,"messages":[`)
	first := true
	for after := 0; ew.err == nil; {
		page, err := m.messageRows(user, v.ID, after, true, exportMessagePage)
		if err != nil {
			if errors.Is(err, ErrNotFound) {
				break // left meanwhile: nothing more of it is theirs
			}
			return err
		}
		for _, msg := range page.Items {
			sep := ","
			if first {
				sep, first = "", false
			}
			ew.json(sep, msg)
		}
		if len(page.Items) < exportMessagePage {
			break
		}
		after = page.Items[len(page.Items)-1].Seq
		ew.flush()
	}
	ew.write("]}")
	ew.flush()
	return nil
}

// exportWriter keeps the first write error, so the loops check it once
// per page.
type exportWriter struct {
	w   io.Writer
	err error
}

func (ew *exportWriter) write(s string) {
	if ew.err == nil {
		_, ew.err = io.WriteString(ew.w, s)
	}
}

// json writes prefix and then v as JSON.
func (ew *exportWriter) json(prefix string, v any) {
	if ew.err != nil {
		return
	}
	raw, err := json.Marshal(v)
	if err != nil {
		ew.err = err
		return
	}
	ew.write(prefix)
	if ew.err == nil {
		_, ew.err = ew.w.Write(raw)
	}
}

func (ew *exportWriter) flush() {
	if f, ok := ew.w.(exportFlusher); ok && ew.err == nil {
		_ = f.Flush() // not every writer can flush; the data still goes out
	}
}
