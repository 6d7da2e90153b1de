package cli

import (
	"net/http"

	"github.com/ml-connector/ifs-cleo/core/sandbox/cleosim"
	"github.com/ml-connector/ifs-cleo/core/sandbox/world"
)

// The Cleo sandbox runs beside the IFS one in "ml-connector sandbox".
func init() {
	sandboxKinds = append(sandboxKinds, sandboxKind{Name: "cleo", Title: "Cleo Integration Cloud", Build: buildCleoSandbox})
}

// cleoInfo is the "cleo" section of the info file.
type cleoInfo struct {
	URL        string `json:"url"`
	Username   string `json:"username"`
	Password   string `json:"password"`
	ControlURL string `json:"control_url"`
	// TokenURL is the password-grant endpoint (url + /api/authentication).
	TokenURL string `json:"token_url"`
}

func buildCleoSandbox(w *world.World, opt sandboxOptions) (http.Handler, func(string) any, error) {
	cfg := cleosim.Config{EmptyInbox: opt.EmptyInbox, MaxPageSize: opt.CleoPageSize}
	cfg.Faults.LatencyMS = opt.LatencyMS
	s := cleosim.New(w, cfg)
	info := func(root string) any {
		user, pass := s.Credentials()
		return cleoInfo{URL: root, Username: user, Password: pass, ControlURL: root + s.ControlPrefix(), TokenURL: root + "/api/authentication"}
	}
	return s, info, nil
}
