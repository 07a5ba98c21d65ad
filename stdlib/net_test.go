package stdlib_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/runbook-dev/runbook/stdlib"
	lua "github.com/yuin/gopher-lua"
)

func mustState(t *testing.T, h stdlib.Host) *lua.LState {
	L := lua.NewState()
	L.SetContext(context.Background())
	m := stdlib.Open(L, h)
	m.SetRand(bytes.NewReader([]byte{0xd1, 0x0b, 0xe7, 1, 2, 3, 4, 5, 6}))
	return L
}

func TestNet(t *testing.T) {
	L := mustState(t, &bashHost{})
	defer L.Close()
	err := L.DoString(`
		assert(net.random_mac() == "00:16:3e:d1:0b:e7", net.random_mac)
		assert(net.random_mac("02") == "02:01:02:03:04:05")
		local c = net.cidr("192.168.100.1/24")
		assert(c.network == "192.168.100.0" and c.prefix == 24 and c.netmask == "255.255.255.0", "cidr")
		assert(c.broadcast == "192.168.100.255" and c.first == "192.168.100.1" and c.last == "192.168.100.254", "hosts")
		assert(c.size == 256)
		assert(net.cidr_host("192.168.100.0/24", 1) == "192.168.100.1")
		assert(net.cidr_host("192.168.100.0/24", -2) == "192.168.100.254")
		assert(net.cidr_host("fd00::/64", 1) == "fd00::1")
		assert(net.cidr_contains("192.168.100.0/24", "192.168.100.254"))
		assert(not net.cidr_contains("192.168.100.0/24", "192.168.101.1"))
		assert(net.cidr("10.0.0.0/31").first == "10.0.0.0")
		local ok, err = pcall(net.cidr_host, "192.168.100.0/24", 256)
		assert(not ok and err:find("host 256 is outside 192.168.100.0/24"), err)
	`)
	if err != nil {
		t.Fatal(err)
	}
}

func TestRandomMACIsRandom(t *testing.T) {
	mustRun(t, &bashHost{}, `
		local a, b = net.random_mac(), net.random_mac()
		assert(a ~= b and a:match("^00:16:3e:%x%x:%x%x:%x%x$"), a .. " " .. b)`, nil)
}
