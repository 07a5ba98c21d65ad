package stdlib

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/big"
	"net/netip"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

var _ = documentModule("net", `Network helpers the guide needs: MAC addresses and CIDR
arithmetic. They compute; they never touch the host.`)

func (m *Modules) netFuncs() map[string]lua.LGFunction {
	return map[string]lua.LGFunction{
		"random_mac":    m.netRandomMAC,
		"cidr":          m.netCIDR,
		"cidr_host":     m.netCIDRHost,
		"cidr_contains": m.netCIDRContains,
	}
}

var _ = document("net", "random_mac", `net.random_mac([prefix="00:16:3e"]) -> string`,
	`A random MAC address starting with prefix (1 to 5 octets; Xen's 00:16:3e by default), in
lower case: the guide's "00:16:3e" plus three random octets.`)

func (m *Modules) netRandomMAC(L *lua.LState) int {
	o := m.newOp(L, "net.random_mac", "")
	prefix := L.OptString(1, "00:16:3e")
	var octets []byte
	for _, p := range strings.Split(strings.ToLower(prefix), ":") {
		var b byte
		if len(p) != 2 {
			o.fail("prefix %q must be octets like \"00:16:3e\"", prefix)
		}
		if _, err := fmt.Sscanf(p, "%02x", &b); err != nil {
			o.fail("prefix %q must be octets like \"00:16:3e\"", prefix)
		}
		octets = append(octets, b)
	}
	if len(octets) < 1 || len(octets) > 5 {
		o.fail("prefix %q must have 1 to 5 octets", prefix)
	}
	rest := make([]byte, 6-len(octets))
	if o.planning() {
		// A listing draws nothing: the random octets read xx.
		parts := strings.Split(strings.ToLower(prefix), ":")
		for range rest {
			parts = append(parts, "xx")
		}
		L.Push(lua.LString(strings.Join(parts, ":")))
		return 1
	}
	if _, err := io.ReadFull(m.rand, rest); err != nil {
		o.fail("reading random bytes: %v", err)
	}
	mac := append(octets, rest...)
	parts := make([]string, 6)
	for i, b := range mac {
		parts[i] = fmt.Sprintf("%02x", b)
	}
	L.Push(lua.LString(strings.Join(parts, ":")))
	return 1
}

func (o *op) checkPrefix(n int) netip.Prefix {
	s := o.checkString(n, "CIDR")
	p, err := netip.ParsePrefix(s)
	if err != nil {
		o.fail("%q is not a CIDR like 192.168.100.0/24", s)
	}
	return p
}

var _ = document("net", "cidr", `net.cidr(cidr) -> {network=, prefix=, netmask=, broadcast=, first=, last=, size=}`,
	`Takes "192.168.100.1/24" apart: network "192.168.100.0", prefix 24, netmask "255.255.255.0",
broadcast "192.168.100.255", first and last usable host addresses, size (the number of
addresses). IPv6 has no netmask or broadcast.`)

func (m *Modules) netCIDR(L *lua.LState) int {
	o := m.newOp(L, "net.cidr", "")
	p := o.checkPrefix(1)
	net := p.Masked()
	t := L.NewTable()
	t.RawSetString("network", lua.LString(net.Addr().String()))
	t.RawSetString("prefix", lua.LNumber(p.Bits()))
	bits := net.Addr().BitLen()
	size := new(big.Int).Lsh(big.NewInt(1), uint(bits-p.Bits()))
	sz, _ := new(big.Float).SetInt(size).Float64()
	t.RawSetString("size", lua.LNumber(sz))
	last := addrAdd(net.Addr(), new(big.Int).Sub(size, big.NewInt(1)))
	first, lastHost := net.Addr(), last
	if net.Addr().Is4() {
		mask := ^uint32(0) << (32 - p.Bits())
		if p.Bits() == 0 {
			mask = 0
		}
		var mb [4]byte
		binary.BigEndian.PutUint32(mb[:], mask)
		t.RawSetString("netmask", lua.LString(netip.AddrFrom4(mb).String()))
		t.RawSetString("broadcast", lua.LString(last.String()))
		if p.Bits() < 31 {
			first, lastHost = first.Next(), last.Prev()
		}
	}
	t.RawSetString("first", lua.LString(first.String()))
	t.RawSetString("last", lua.LString(lastHost.String()))
	L.Push(t)
	return 1
}

// addrAdd returns a + n.
func addrAdd(a netip.Addr, n *big.Int) netip.Addr {
	b := a.AsSlice()
	v := new(big.Int).SetBytes(b)
	v.Add(v, n)
	out := v.FillBytes(make([]byte, len(b)))
	r, _ := netip.AddrFromSlice(out)
	return r
}

var _ = document("net", "cidr_host", `net.cidr_host(cidr, n) -> string`,
	`The n-th address of the network (negative n counts from its end: -1 is the last address):
net.cidr_host("192.168.100.0/24", 1) is "192.168.100.1". An n outside the network is an error.`)

func (m *Modules) netCIDRHost(L *lua.LState) int {
	o := m.newOp(L, "net.cidr_host", "")
	p := o.checkPrefix(1).Masked()
	n := L.CheckInt64(2)
	size := new(big.Int).Lsh(big.NewInt(1), uint(p.Addr().BitLen()-p.Bits()))
	idx := big.NewInt(n)
	if n < 0 {
		idx.Add(idx, size)
	}
	if idx.Sign() < 0 || idx.Cmp(size) >= 0 {
		o.fail("host %d is outside %s", n, p)
	}
	L.Push(lua.LString(addrAdd(p.Addr(), idx).String()))
	return 1
}

var _ = document("net", "cidr_contains", `net.cidr_contains(cidr, address) -> bool`,
	`Whether address is in the network cidr.`)

func (m *Modules) netCIDRContains(L *lua.LState) int {
	o := m.newOp(L, "net.cidr_contains", "")
	p := o.checkPrefix(1)
	s := o.checkString(2, "address")
	a, err := netip.ParseAddr(s)
	if err != nil {
		o.fail("%q is not an IP address", s)
	}
	L.Push(lua.LBool(p.Masked().Contains(a)))
	return 1
}
