package messaging

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/gabriel-vasile/mimetype"
	"github.com/pocketbase/pocketbase/apis"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/filesystem"
	"github.com/pocketbase/pocketbase/tools/hook"
	"github.com/pocketbase/pocketbase/tools/router"
)

// Attachments: messages carry files in messages.files, a protected file
// field, so PocketBase stores them (local disk or S3) and serves them only
// with a file token of someone the messages view rule lets in: a current
// member of the thread.
//
// The field's own MaxSelect, MaxSize and MimeTypes are static; the site
// owner's limits (max_attachments, max_attachment_size, attachment_types in
// messaging_settings) change at run time, so they are enforced here, in
// OnRecordCreate/OnRecordUpdate, before PocketBase validates the field and
// before anything is uploaded: a refused file never reaches storage. The
// field's limits stay the hard ceiling, since PocketBase checks them next.

// defaultAttachmentTypes are the types allowed when the site owner sets
// none: common images, PDF, plain text and CSV, office documents, zip.
// SVG and HTML are left out on purpose (they can carry script).
var defaultAttachmentTypes = []string{
	"image/jpeg", "image/png", "image/gif", "image/webp",
	"application/pdf", "text/plain", "text/csv", "application/zip",
	"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation",
	"application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
	"application/vnd.oasis.opendocument.presentation",
}

// attachmentLimits are the limits in force for one check: the settings,
// capped by the files field's own ceiling.
type attachmentLimits struct {
	count int   // 0: attachments off
	size  int64 // bytes per file
	types []string
}

// attachmentLimits reads the limits in force now. The field is read from
// the collection cache on each call, so a ceiling lowered in the dashboard
// applies at once too.
func (m *Messaging) attachmentLimits(app core.App) attachmentLimits {
	l := m.Limits()
	al := attachmentLimits{count: l.MaxAttachments, size: l.MaxAttachmentSize, types: l.AttachmentTypes}
	if al.count < 0 || len(al.types) == 0 {
		al.count = 0
	}
	if f := filesField(app); f != nil {
		al.count = min(al.count, max(f.MaxSelect, 1))
		if f.MaxSize > 0 {
			al.size = min(al.size, f.MaxSize)
		}
	}
	return al
}

// filesField is messages.files, or nil before the migration.
func filesField(app core.App) *core.FileField {
	col, err := app.FindCachedCollectionByNameOrId(CollectionNameMessages)
	if err != nil {
		return nil
	}
	f, _ := col.Fields.GetByName(filesFieldName).(*core.FileField)
	return f
}

// bindAttachmentHooks checks new files against the limits in force on
// every create and update, empties the files of a soft-deleted message (so
// PocketBase deletes them from storage after the commit), and never shows
// a deleted message's files.
func (m *Messaging) bindAttachmentHooks() {
	m.app.OnRecordCreate(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageFiles__", Func: m.checkMessageFiles,
	})
	m.app.OnRecordUpdate(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEvent]{
		Id: "__messagingMessageFilesUpdate__", Func: checkFilesKept,
	})
	m.app.OnRecordEnrich(CollectionNameMessages).Bind(&hook.Handler[*core.RecordEnrichEvent]{
		Id: "__messagingMessageFilesEnrich__", Func: hideDeletedFiles,
	})
}

func (m *Messaging) checkMessageFiles(e *core.RecordEvent) error {
	msg := &Message{e.Record}
	if msg.Deleted() {
		msg.SetFiles(nil)
		return e.Next()
	}
	uploads := e.Record.GetUnsavedFiles(filesFieldName)
	if len(uploads) == 0 {
		return e.Next()
	}
	al := m.attachmentLimits(e.App)
	if al.count == 0 {
		return errInvalid(filesFieldName, "attachments_off", "Attachments are turned off.")
	}
	if n := fileCount(e.Record); n > al.count {
		return errInvalid(filesFieldName, "too_many_files",
			"A message can have at most "+strconv.Itoa(al.count)+" files; this one has "+strconv.Itoa(n)+".")
	}
	for _, f := range uploads {
		if f.Size > al.size {
			return errInvalid(filesFieldName, "file_too_large",
				strconv.Quote(f.OriginalName)+" is too large: "+formatBytes(f.Size)+", the limit is "+formatBytes(al.size)+".")
		}
		mt, err := detectType(f)
		if err != nil {
			return errInvalid(filesFieldName, "unreadable_file", strconv.Quote(f.OriginalName)+" can't be read.")
		}
		if !typeAllowed(mt, al.types) {
			return errInvalid(filesFieldName, "file_type",
				strconv.Quote(f.OriginalName)+" is a file type that can't be attached ("+baseType(mt.String())+").")
		}
	}
	return e.Next()
}

// checkFilesKept refuses any change to a sent message's files but the
// soft delete that removes them all: an edit changes the body only (the
// window binds it, and the members saw these files), and a record update
// must not become a way to swap an attachment unseen.
func checkFilesKept(e *core.RecordEvent) error {
	msg := &Message{e.Record}
	if msg.Deleted() {
		msg.SetFiles(nil)
		return e.Next()
	}
	if !slices.Equal(msg.Files(), (&Message{e.Record.Original()}).Files()) {
		return errInvalid(filesFieldName, "files_fixed", "The files of a sent message can't be changed; delete the message instead.")
	}
	return e.Next()
}

// messageBody is normalizeBody, except that a message with at least one
// file may have an empty body.
func (m *Messaging) messageBody(body string, files int) (string, error) {
	if files > 0 && strings.TrimSpace(body) == "" {
		return "", nil
	}
	return m.normalizeBody(body)
}

func hideDeletedFiles(e *core.RecordEnrichEvent) error {
	if msg := (&Message{e.Record}); msg.Deleted() {
		msg.SetFiles(nil)
	}
	return e.Next()
}

// fileCount counts the files a record's value holds, kept and new.
func fileCount(r *core.Record) int {
	switch v := r.GetRaw(filesFieldName).(type) {
	case []any:
		n := 0
		for _, x := range v {
			if s, ok := x.(string); !ok || s != "" {
				n++
			}
		}
		return n
	case []string:
		return len(v)
	case []*filesystem.File:
		return len(v)
	case *filesystem.File:
		return 1
	case string:
		if v != "" {
			return 1
		}
	}
	return 0
}

// detectType detects a file's type from its content, as PocketBase's own
// MimeTypes check does, so a renamed file is judged by what it is.
func detectType(f *filesystem.File) (*mimetype.MIME, error) {
	r, err := f.Reader.Open()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return mimetype.DetectReader(r)
}

// typeAllowed matches a detected type against "type/subtype" entries (and
// their aliases) and "type/*" patterns.
func typeAllowed(mt *mimetype.MIME, allowed []string) bool {
	base := baseType(mt.String())
	for _, a := range allowed {
		if prefix, ok := strings.CutSuffix(a, "/*"); ok {
			if strings.HasPrefix(base, prefix+"/") {
				return true
			}
		} else if mt.Is(a) {
			return true
		}
	}
	return false
}

// baseType drops parameters: "text/plain; charset=utf-8" → "text/plain".
func baseType(t string) string {
	t, _, _ = strings.Cut(t, ";")
	return strings.TrimSpace(t)
}

func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt(n>>10, 10) + " KB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// attachmentBodyLimit replaces PocketBase's global 32 MB request body limit
// on the messaging routes that take files with the largest allowed upload
// in force now plus those 32 MB for the rest of the form, so that any
// message the settings allow gets through (the default 5 × 10 MB would
// not) and nothing much larger is read.
func (m *Messaging) attachmentBodyLimit() *hook.Handler[*core.RequestEvent] {
	return &hook.Handler[*core.RequestEvent]{
		Id:       apis.DefaultBodyLimitMiddlewareId,
		Priority: apis.DefaultBodyLimitMiddlewarePriority,
		Func: func(e *core.RequestEvent) error {
			al := m.attachmentLimits(e.App)
			return apis.BodyLimit(apis.DefaultMaxBodySize + int64(al.count)*al.size).Func(e)
		},
	}
}

// FileView is one attachment as the API shows it. URL and Thumb are
// relative paths of PocketBase's file API without the file token: the
// files are protected, so a client gets a token (POST /api/files/token)
// and adds it as the "token" query parameter. Thumb, set for images, is
// the 100x100 thumbnail; ask for "480x0" instead by changing its thumb
// parameter.
type FileView struct {
	Name  string `json:"name"`
	URL   string `json:"url"`
	Thumb string `json:"thumb"`
}

// thumbExtensions are the image types PocketBase makes thumbnails of.
var thumbExtensions = []string{".png", ".jpg", ".jpeg", ".gif", ".webp"}

// fileViews lists a message's files; a deleted message has none. The
// result is never nil, so the API always shows "files".
func fileViews(collectionID, messageID string, names []string, deleted bool) []FileView {
	out := make([]FileView, 0, len(names))
	if deleted {
		return out
	}
	for _, name := range names {
		v := FileView{Name: name, URL: "/api/files/" + collectionID + "/" + messageID + "/" + name}
		lower := strings.ToLower(name)
		for _, ext := range thumbExtensions {
			if strings.HasSuffix(lower, ext) {
				v.Thumb = v.URL + "?thumb=" + attachmentThumbs[0]
				break
			}
		}
		out = append(out, v)
	}
	return out
}

// bindWithFiles decodes a JSON body, or a multipart/form-data one whose
// "files" parts are the attachments. A body over the limit is PocketBase's
// 413; any other unreadable body a 400.
func bindWithFiles(e *core.RequestEvent, dst any) ([]*filesystem.File, error) {
	if !strings.HasPrefix(e.Request.Header.Get("Content-Type"), "multipart/form-data") {
		return nil, bind(e, dst)
	}
	err := e.BindBody(dst)
	var files []*filesystem.File
	if err == nil {
		files, err = e.FindUploadedFiles(filesFieldName)
		if errors.Is(err, http.ErrMissingFile) {
			files, err = nil, nil
		}
	}
	switch {
	case errors.Is(err, apis.ErrRequestEntityTooLarge):
		return nil, apis.ErrRequestEntityTooLarge
	case err != nil:
		return nil, router.NewBadRequestError("Invalid multipart/form-data body.", err)
	}
	return files, nil
}
