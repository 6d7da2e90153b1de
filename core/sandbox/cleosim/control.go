package cleosim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// File is an outbound or inbound file as the control API shows it.
type File struct {
	ID         string    `json:"id"`
	Connection string    `json:"connection"` // alias
	Filename   string    `json:"filename"`
	Folder     string    `json:"folder"` // inbox, outbox, sent
	Status     string    `json:"status"`
	ExternalID string    `json:"externalId,omitempty"`
	Created    time.Time `json:"created"`
	Size       int       `json:"size"`
	DocType    string    `json:"documentType,omitempty"`
	Content    []byte    `json:"content"` // base64 in JSON
}

func toFile(f *file) File {
	return File{ID: f.id, Connection: f.conn.alias, Filename: f.name, Folder: f.folder, Status: f.status,
		ExternalID: f.externalID, Created: f.created, Size: len(f.content), DocType: f.docType,
		Content: append([]byte(nil), f.content...)}
}

// Credentials returns the API account.
func (s *Server) Credentials() (username, password string) { return s.cfg.Username, s.cfg.Password }

// Inject puts an inbound file from the connection with the given alias (or
// id) into its inbox, as if the partner had sent it. A zero created means now.
func (s *Server) Inject(connection, filename string, content []byte, created time.Time) (File, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.connByAlias(connection)
	if c == nil {
		return File{}, fmt.Errorf("inject %s: no connection %q", filename, connection)
	}
	if filename == "" {
		return File{}, fmt.Errorf("inject: filename is required")
	}
	if created.IsZero() {
		created = s.cfg.Now()
	}
	return toFile(s.inject(c, filename, content, created)), nil
}

// Sent lists the outbound files (queued in an outbox or sent), oldest first.
func (s *Server) Sent() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.sortedFiles(func(f *file) bool { return f.folder != "inbox" }) {
		out = append(out, toFile(f))
	}
	return out
}

// Inbox lists the inbound files still held (available or picked), oldest first.
func (s *Server) Inbox() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.sortedFiles(func(f *file) bool { return f.folder == "inbox" }) {
		out = append(out, toFile(f))
	}
	return out
}

// Respond makes every supplier answer its pending 850s now and returns the
// inbound files (997s, 810s) that created.
func (s *Server) Respond() []File {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []File
	for _, f := range s.processDue(s.cfg.Now(), true) {
		out = append(out, toFile(f))
	}
	return out
}

// Pending is the number of 850 groups whose supplier has not answered yet.
func (s *Server) Pending() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.pending)
}

func (s *Server) controlRoutes() {
	p := s.cfg.ControlPrefix
	m := s.mux
	m.HandleFunc("GET "+p+"/faults", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Faults()) })
	m.HandleFunc("PUT "+p+"/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&f); err != nil {
			writeErr(w, http.StatusBadRequest, "invalid faults: "+err.Error())
			return
		}
		s.SetFaults(f)
		writeJSON(w, http.StatusOK, f)
	})
	m.HandleFunc("POST "+p+"/expire-tokens", func(w http.ResponseWriter, r *http.Request) {
		s.ExpireTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("POST "+p+"/reset", func(w http.ResponseWriter, r *http.Request) {
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	m.HandleFunc("GET "+p+"/stats", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, s.Stats()) })
	m.HandleFunc("GET "+p+"/sent", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, orEmpty(s.Sent())) })
	m.HandleFunc("GET "+p+"/inbox", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, orEmpty(s.Inbox())) })
	m.HandleFunc("POST "+p+"/respond", func(w http.ResponseWriter, r *http.Request) { writeJSON(w, http.StatusOK, orEmpty(s.Respond())) })
	m.HandleFunc("POST "+p+"/inject", func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Connection    string    `json:"connection"`
			Filename      string    `json:"filename"`
			Content       string    `json:"content"`
			ContentBase64 string    `json:"content_base64"`
			Created       time.Time `json:"created"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 64<<20)).Decode(&req); err != nil {
			writeErr(w, http.StatusBadRequest, "invalid JSON: "+err.Error())
			return
		}
		content := []byte(req.Content)
		if req.ContentBase64 != "" {
			b, err := base64.StdEncoding.DecodeString(req.ContentBase64)
			if err != nil {
				writeErr(w, http.StatusBadRequest, "content_base64: "+err.Error())
				return
			}
			content = b
		}
		f, err := s.Inject(req.Connection, req.Filename, content, req.Created)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err.Error())
			return
		}
		writeJSON(w, http.StatusCreated, f)
	})
}

func orEmpty(fs []File) []File {
	if fs == nil {
		return []File{}
	}
	return fs
}
