package messaging

import (
	"encoding/json/v2"
	"net/url"
	"strings"

	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/search"
	"github.com/spf13/cast"
)

// bindRelationGuard checks the client queries of batch requests and
// realtime subscriptions; guardRequest, bound as a router middleware in
// bindRoutes, checks every other request.
func (m *Messaging) bindRelationGuard() {
	m.app.OnBatchRequest().Bind(&hook.Handler[*core.BatchRequestEvent]{
		Id: "__messagingRelationGuardBatch__",
		Func: func(e *core.BatchRequestEvent) error {
			if e.HasSuperuserAuth() {
				return e.Next()
			}
			for _, r := range e.Batch {
				u, err := url.Parse(r.URL)
				if err != nil {
					continue // PocketBase refuses it
				}
				if name, ok := batchCollection(u.Path); ok {
					if err := checkClientQuery(e.App, e.Auth, name, queryFrom(u.Query())); err != nil {
						return err
					}
				}
			}
			return e.Next()
		},
	})
	m.app.OnRealtimeSubscribeRequest().Bind(&hook.Handler[*core.RealtimeSubscribeRequestEvent]{
		Id:       "__messagingRelationGuardRealtime__",
		Priority: -10, // before the subscriptions are stored
		Func: func(e *core.RealtimeSubscribeRequestEvent) error {
			if e.HasSuperuserAuth() {
				return e.Next()
			}
			for _, s := range e.Subscriptions {
				if err := checkSubscription(e.App, e.Auth, s); err != nil {
					return err
				}
			}
			return e.Next()
		},
	})
}

// guardRequest is a router middleware: any route with a {collection}
// path value gets its filter, sort and expand checked before PocketBase
// resolves them.
func (m *Messaging) guardRequest(e *core.RequestEvent) error {
	if name := e.Request.PathValue("collection"); name != "" && !e.HasSuperuserAuth() {
		if err := checkClientQuery(e.App, e.Auth, name, queryFrom(e.Request.URL.Query())); err != nil {
			return err
		}
	}
	return e.Next()
}

// batchCollection extracts the collection of a batch action's URL
// (/api/collections/{collection}/records[/{id}]), the only actions a
// batch accepts.
func batchCollection(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, "/api/collections/")
	if !ok {
		return "", false
	}
	name, _, _ := strings.Cut(rest, "/")
	return name, name != ""
}

// checkSubscription checks a realtime topic's options the way
// subscriptions.DefaultClient.Subscribe reads them: topic
// "collection/id-or-*", options in the "options" query parameter.
func checkSubscription(app core.App, auth *core.Record, sub string) error {
	u, err := url.Parse(sub)
	if err != nil {
		return nil // PocketBase ignores its options too
	}
	raw := u.Query().Get("options")
	if raw == "" {
		return nil
	}
	var opts struct {
		Query map[string]any `json:"query"`
	}
	// Decoded as PocketBase does, error ignored: whatever it would
	// still apply after a partial decode is checked.
	_ = json.Unmarshal([]byte(raw), &opts)
	q := clientQuery{}
	for k, v := range opts.Query {
		s := cast.ToString(v)
		switch k {
		case search.FilterQueryParam:
			q.Filter = append(q.Filter, s)
		case search.SortQueryParam:
			q.Sort = append(q.Sort, s)
		case "expand":
			q.Expand = append(q.Expand, s)
		}
	}
	name, _, _ := strings.Cut(u.Path, "/")
	return checkClientQuery(app, auth, name, q)
}
