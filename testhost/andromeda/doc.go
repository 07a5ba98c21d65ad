// Package andromeda brings up andromeda, the throwaway Debian host the tests
// run the guide against, and takes it down without a trace.
//
// andromeda is a debootstrapped Debian bookworm tree (built once by
// build.sh and cached as a zstd tarball keyed on that script's content),
// booted by systemd-nspawn with systemd as PID 1, on a writable overlay
// that a reset throws away, in a network namespace of its own. It is
// reached over SSH on a port of 127.0.0.1 that a supervisor process
// forwards into that namespace; the only way out of the namespace is an
// HTTP proxy that reaches this machine's Debian mirror and nothing else.
//
// The supervisor is this same binary run again (see supervise.go): it owns
// the private mount namespace, the network namespace, nspawn and the
// forwarders, so when it ends, for whatever reason, they end with it.
//
// With Options.VM the same tree boots with its own kernel in QEMU instead
// (vm.go, vmimage.go, console.go), for what a container cannot do:
// device-mapper and real reboots.
//
// It must not import the engine, the stdlib, the player or cmd: it is test
// infrastructure that those packages' tests import.
package andromeda
