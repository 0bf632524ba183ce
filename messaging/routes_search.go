package messaging

import (
	"net/http"

	"github.com/pocketbase/pocketbase/core"
)

// HTTP handler for full-text search (search.go).

func (m *Messaging) handleSearch(e *core.RequestEvent) error {
	limit, err := queryInt(e, "limit")
	if err != nil {
		return err
	}
	q := e.Request.URL.Query()
	page, err := m.Search(e.Auth.Id, q.Get("q"), SearchOptions{Thread: q.Get("thread"), Before: q.Get("before"), Limit: limit})
	if err != nil {
		return apiError(err)
	}
	return e.JSON(http.StatusOK, page)
}
