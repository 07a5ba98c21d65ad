package sshtest

import (
	"fmt"
	"testing"
)

// StartFleet starts n sshds, each a host of home's ~/.ssh/config named
// h00, h01... and trusted in its known_hosts: a fleet to run on.
func StartFleet(t testing.TB, home string, n int) (srvs []*Server, names []string) {
	t.Helper()
	for i := range n {
		srv := Start(t, Options{})
		name := fmt.Sprintf("h%02d", i)
		AddHost(t, home, srv, name, "")
		TrustHost(t, home, srv)
		srvs = append(srvs, srv)
		names = append(names, name)
	}
	return srvs, names
}
