//go:build !linux

package ssh

import "net"

// quickAck: only Linux's TCP_QUICKACK is used (see quickack_linux.go).
func quickAck(c net.Conn) net.Conn { return c }
