//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package h1

import (
	"crypto/tls"
	"net"
	"syscall"
)

// alive reports whether an idle connection is still open with nothing to
// read: one non-blocking peek at the socket. A connection it cannot check
// counts as alive (a closed one is then caught by the retry in RoundTrip).
func alive(nc net.Conn) bool {
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	var buf [1]byte
	err = raw.Read(func(fd uintptr) bool {
		_, _, rerr := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		// EAGAIN: open with nothing to read. Anything else is EOF (0
		// bytes), bytes nobody asked for, or an error.
		ok = rerr == syscall.EAGAIN || rerr == syscall.EINTR
		return true
	})
	return err == nil && ok
}
