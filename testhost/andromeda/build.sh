#!/bin/sh
# build.sh TREE — builds andromeda's root tree: a Debian bookworm server
# that systemd-nspawn boots with systemd as PID 1.
#
# The Go side runs this as root inside `unshare --mount --pid --fork --uts`,
# so every mount it makes and every process a package script leaves behind
# ends with it. It passes the mirrors read from this machine's apt
# configuration at run time (they are never written into the repository):
#   MIRROR           Debian's archive, e.g. what /etc/apt/sources.list.d says
#   SECURITY_MIRROR  the security archive (may be empty)
#
# The cache key of the tree is this file's content: change anything here and
# the next `up` builds a new tree.
set -eu

tree=$1
: "${MIRROR:?MIRROR must be set}"
SECURITY_MIRROR=${SECURITY_MIRROR:-}
suite=bookworm
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8

# A server's base: systemd as init, sshd, and what a guide's first commands
# take for granted.
debootstrap --variant=minbase \
	--include=systemd,systemd-sysv,dbus,openssh-server,iproute2,procps,sudo,ca-certificates,less,nano,kmod,udev,ifupdown,iputils-ping,netbase,fdisk,e2fsprogs,zstd \
	"$suite" "$tree" "$MIRROR"

in_tree() { chroot "$tree" "$@"; }

# Keep package scripts from starting daemons while we build: they would run
# in this machine's network.
printf '#!/bin/sh\nexit 101\n' > "$tree/usr/sbin/policy-rc.d"
chmod 755 "$tree/usr/sbin/policy-rc.d"

mount -t proc proc "$tree/proc"
mount -t sysfs sysfs "$tree/sys"

{
	echo "deb $MIRROR $suite main"
	echo "deb $MIRROR $suite-updates main"
	[ -z "$SECURITY_MIRROR" ] || echo "deb $SECURITY_MIRROR $suite-security main"
} > "$tree/etc/apt/sources.list"

# A container has no device for /, so grub-probe fails and with it
# update-grub. Divert it (before grub is installed, so its package scripts
# already see the stub) to one that answers like a BIOS machine with one
# ext4 partition on /dev/sda1: grub-mkconfig then does its real work and
# grub.cfg follows /etc/default/grub.
in_tree dpkg-divert --local --rename --add /usr/sbin/grub-probe
cat > "$tree/usr/sbin/grub-probe" <<'STUB'
#!/bin/sh
# andromeda's stand-in for grub-probe (diverted to grub-probe.distrib):
# a container has no block device for /, so answer as a BIOS machine with
# one ext4 partition /dev/sda1 would.
target=
for a in "$@"; do
	case "$a" in
	--target=*) target=${a#--target=} ;;
	esac
done
prev=
for a in "$@"; do
	[ "$prev" = "-t" ] && target=$a
	prev=$a
done
case "$target" in
device) echo /dev/sda1 ;;
fs) echo ext2 ;;
fs_uuid) echo 5c6b3a4e-0d1f-4e2a-9b7c-1a2b3c4d5e6f ;;
fs_label) echo ;;
partuuid) echo 0a0b0c0d-01 ;;
drive) echo '(hd0,msdos1)' ;;
partmap) echo msdos ;;
abstraction) echo ;;
compatibility_hint) echo hd0,msdos1 ;;
hints_string) echo '--hint-bios=hd0,msdos1 --hint-efi=hd0,msdos1 --hint-baremetal=ahci0,msdos1' ;;
disk) echo /dev/sda ;;
bios_hints) echo hd0,msdos1 ;;
*) echo "grub-probe (andromeda stub): unknown target '$target'" >&2; exit 1 ;;
esac
STUB
chmod 755 "$tree/usr/sbin/grub-probe"

# grub-pc must not be installed to any disk here.
in_tree debconf-set-selections <<'SEL'
grub-pc grub-pc/install_devices multiselect
grub-pc grub-pc/install_devices_empty boolean true
SEL

in_tree apt-get update -q
# What the guide's steps do real work with: a kernel and initramfs-tools
# (update-initramfs builds a real initrd), grub-pc (update-grub writes a
# real grub.cfg from /etc/default/grub).
# initramfs-tools first and alone: installed with the kernel, its trigger
# would build the initrd a second time at the end of the same run.
in_tree apt-get install -y -q --no-install-recommends initramfs-tools
in_tree apt-get install -y -q --no-install-recommends linux-image-amd64 grub-pc
in_tree apt-get clean
rm -rf "$tree"/var/lib/apt/lists/*

umount "$tree/sys" "$tree/proc"
rm -f "$tree/usr/sbin/policy-rc.d"

# Made fresh for every run by the Go side: host keys, machine id, hostname.
rm -f "$tree"/etc/ssh/ssh_host_*
: > "$tree/etc/machine-id"
rm -f "$tree/var/lib/dbus/machine-id"
echo andromeda > "$tree/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tandromeda\n::1\tlocalhost ip6-localhost ip6-loopback\n' > "$tree/etc/hosts"
rm -f "$tree/etc/resolv.conf"
: > "$tree/etc/resolv.conf"

# Only the key made for the run logs in, as root or as admin (sudo without
# a password), the two ways the guide's author works.
mkdir -p "$tree/etc/ssh/sshd_config.d"
cat > "$tree/etc/ssh/sshd_config.d/andromeda.conf" <<'CONF'
HostKey /etc/ssh/ssh_host_ed25519_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
CONF
in_tree useradd --create-home --shell /bin/bash --groups sudo admin
echo 'admin ALL=(ALL) NOPASSWD:ALL' > "$tree/etc/sudoers.d/admin"
chmod 440 "$tree/etc/sudoers.d/admin"

# This machine's kernel reads no partition tables (CONFIG_MSDOS_PARTITION
# and CONFIG_EFI_PARTITION are unset), so after partitioning the attached
# disk the kernel learns the partitions from partx, and the container,
# whose /dev is its own, gets their nodes from this helper.
cat > "$tree/usr/local/sbin/andromeda-partscan" <<'HELPER'
#!/bin/sh
# andromeda-partscan DISK: tell the kernel about DISK's partitions (partx)
# and make their device nodes in this container's /dev.
set -eu
disk=${1:?usage: andromeda-partscan DISK}
# Forget the old partitions (those in use stay), then learn the new ones.
partx -d "$disk" 2>/dev/null || true
partx -a "$disk" 2>/dev/null || partx -u "$disk"
name=$(basename "$disk")
for node in /dev/"$name"p*; do
	[ -e "/sys/class/block/$(basename "$node")" ] || rm -f "$node"
done
for p in /sys/class/block/"$name"/"$name"p*; do
	[ -e "$p/dev" ] || continue
	node=/dev/$(basename "$p")
	[ -b "$node" ] || mknod "$node" b $(tr ':' ' ' < "$p/dev")
done
HELPER
chmod 755 "$tree/usr/local/sbin/andromeda-partscan"

# No getty on consoles nobody reads; the boot stays quiet and fast.
in_tree systemctl mask console-getty.service getty@tty1.service serial-getty@ttyS0.service >/dev/null 2>&1 || true
in_tree systemctl enable ssh.service
