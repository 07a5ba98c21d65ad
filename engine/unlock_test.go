package engine

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// bootConsole plays an initramfs on the far end of a pipe: it prints what
// Debian's cryptroot prints and reads what is typed, line by line.
func bootConsole(t *testing.T, want string, prompts int) (io.ReadWriteCloser, <-chan []string) {
	t.Helper()
	near, far := net.Pipe()
	typed := make(chan []string, 1)
	go func() {
		defer far.Close()
		var got []string
		io.WriteString(far, "[    3.141592] Run /init as init process\r\nBegin: Loading essential drivers ... done.\r\n")
		r := bufio.NewReader(far)
		for i := 0; i < prompts; i++ {
			io.WriteString(far, "\x1b[0mPlease unlock disk crypt: ")
			line, err := r.ReadString('\r')
			if err != nil {
				break
			}
			line = strings.TrimSuffix(line, "\r")
			got = append(got, line)
			if line == want {
				io.WriteString(far, "\r\ncryptsetup: crypt: set up successfully\r\n")
				break
			}
			io.WriteString(far, "\r\ncryptsetup: ERROR: crypt: cryptsetup failed, bad password or options?\r\n")
		}
		typed <- got
		io.Copy(io.Discard, far)
	}()
	return near, typed
}

func TestUnlockTypesThePassphraseOnce(t *testing.T) {
	con, typed := bootConsole(t, "correct horse", 3)
	u := startUnlock(con, "correct horse")
	got := <-typed
	u.close()
	if len(got) != 1 || got[0] != "correct horse" {
		t.Fatalf("typed %q, want the passphrase once", got)
	}
	if disk, err := u.result(); disk != "crypt" || err != nil {
		t.Fatalf("result = %q, %v; want crypt, nil", disk, err)
	}
}

func TestUnlockWrongPassphraseFailsWithoutRetrying(t *testing.T) {
	con, typed := bootConsole(t, "correct horse", 3)
	u := startUnlock(con, "wrong horse")
	select {
	case <-u.failed():
	case <-time.After(10 * time.Second):
		t.Fatal("a wrong passphrase was not reported")
	}
	u.close()
	got := <-typed
	if len(got) != 1 {
		t.Fatalf("typed %d times (%q), want once", len(got), got)
	}
	_, err := u.result()
	if err == nil || !strings.Contains(err.Error(), "wrong") || strings.Contains(err.Error(), "wrong horse") {
		t.Fatalf("err = %v; want it to say the passphrase is wrong, without the passphrase", err)
	}
}

func TestUnlockPromptForms(t *testing.T) {
	for _, line := range []string{
		"Please unlock disk crypt: ",
		"Please unlock disk sda2_crypt (/dev/sda2): ",
		"\x1b[0;1;39mPlease enter passphrase for disk crypt (root):",
	} {
		if m := unlockPrompt.FindStringSubmatch(csi.ReplaceAllString(line, "")); m == nil {
			t.Errorf("%q is not taken for a passphrase prompt", line)
		}
	}
	for _, line := range []string{"Please unlock disk crypt: done", "cryptsetup: crypt: set up successfully"} {
		if unlockPrompt.MatchString(line) {
			t.Errorf("%q is taken for a prompt", line)
		}
	}
}
