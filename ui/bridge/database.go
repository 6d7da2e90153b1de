package bridge

// The Connections screen's database card: this desk's own file or a team
// database, tested before it is used.

import (
	"context"
	"fmt"

	"github.com/ml-connector/ifs-cleo/core/connector"
	"github.com/ml-connector/ifs-cleo/core/locations"
	"github.com/ml-connector/ifs-cleo/ui/connections"
)

type databaseSource struct{ b *Bridge }

func (s *databaseSource) locations() (locations.Locations, error) {
	return locations.New(s.b.cfg.DataDir)
}

func (s *databaseSource) Database(context.Context) (connections.DatabaseChoice, error) {
	loc, err := s.locations()
	if err != nil {
		return connections.DatabaseChoice{}, err
	}
	c := s.b.cfg.StoreChoice
	if c.Location == "" {
		if c, err = connector.ChooseStore("", loc); err != nil {
			return connections.DatabaseChoice{}, err
		}
	}
	return connections.DatabaseChoice{Team: c.Team(), Location: c.Shown(), ChosenBy: c.Source, LeaderCapable: connector.LeaderCapable(loc)}, nil
}

func (s *databaseSource) TestTeam(ctx context.Context, url, password string) (string, bool, error) {
	p, err := connector.TestTeamStore(ctx, url, password)
	if err != nil {
		return "", false, err
	}
	enc := "not encrypted (add sslmode=verify-full and sslrootcert)"
	if p.TLS {
		enc = "encrypted"
	}
	return fmt.Sprintf("%s; connection %s; %s", p.Verdict(), enc, p.Server), p.OK(), nil
}

func (s *databaseSource) UseTeam(ctx context.Context, url, password string, leaderCapable bool) error {
	loc, err := s.locations()
	if err != nil {
		return err
	}
	if err := connector.UseTeamStore(ctx, loc, s.b.cfg.Secrets, url, password, leaderCapable); err != nil {
		return err
	}
	return s.overridden()
}

func (s *databaseSource) UseDesk(context.Context) error {
	loc, err := s.locations()
	if err != nil {
		return err
	}
	if err := connector.SwitchToTeam(loc, ""); err != nil {
		return err
	}
	return s.overridden()
}

// overridden says when the saved choice will not take effect because the
// app was started with --store or ML_CONNECTOR_STORE, which win.
func (s *databaseSource) overridden() error {
	if src := s.b.cfg.StoreChoice.Source; src == "--store" || src == "ML_CONNECTOR_STORE" {
		return fmt.Errorf("saved, but this app was started with %s, which wins over the saved choice: start it without", src)
	}
	return nil
}
