-- Part 1 of the Debian install: from a live system to an installed one.
-- Boot a Debian live image on the new machine, give it an SSH login, and
-- run this from your own machine against the live system:
--   runbook debian-install-1.lua --host live-andromeda --set disk=/dev/sda
-- Hosts without device-mapper (the project's test host) use plain
-- partitions instead of LUKS and LVM:
--   runbook debian-install-1.lua --host andromeda --set storage=plain --set disk=/dev/loop0
runbook {
  name = "debian-install-1",
  title = "Debian install, part 1: from a live system to an installed one",
  host = "andromeda",
  sudo = true,
  description = [[
Installs Debian from a live system, over SSH: partitions the disk, encrypts
it with LUKS (discards allowed, for the SSD) holding an LVM volume group,
makes the file systems, installs the base system with debootstrap, describes
the disks in fstab and crypttab, installs the kernel, cryptsetup, LVM and
grub, names the host, configures its network, and lets root in with your SSH
key. Then it reboots into the new system, types the LUKS passphrase at the
console when the initramfs asks (--console), and checks the disk is open.]],
  normalize = {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
  },
  params = {
    disk = { default = "/dev/sda", doc = "the disk to install on: everything on it is lost" },
    storage = { default = "luks-lvm",
      doc = "luks-lvm (the guide: LUKS holding an LVM volume group) or plain (partitions only, for hosts without device-mapper)" },
    luks_passphrase = { default = "", secret = true,
      doc = "passphrase of the LUKS volume (storage=luks-lvm); empty: cryptsetup asks for it on the terminal" },
    vg = { default = "lvm", doc = "name of the LVM volume group (the guide's cryptdevice=...:lvm)" },
    boot_size = { default = "512M", doc = "size of the /boot partition" },
    root_size = { default = "40G", doc = "size of the root logical volume (luks-lvm)" },
    swap_size = { default = "8G", doc = "size of the swap logical volume (luks-lvm)" },
    target = { default = "/target", doc = "where the new system is mounted while installing" },
    release = { default = "stretch", doc = "the Debian release to install (the guide: stretch)" },
    mirror = { default = "auto",
      doc = "the Debian mirror debootstrap uses; auto: archive.debian.org for releases moved there (stretch and older), else deb.debian.org" },
    hostname = { default = "andromeda", doc = "the new system's host name" },
    interface = { default = "auto", doc = "network interface configured for DHCP; auto: the live system's default route interface" },
    authorized_key = { default = "~/.ssh/id_rsa.pub",
      doc = "public key on YOUR machine that root of the new system accepts" },
    bootloader = { default = true, type = "bool", doc = "install grub on the disk" },
    proxy = { default = "",
      doc = "HTTP proxy for the downloads (debootstrap, and apt in the new system), e.g. http://10.0.0.1:3142/; empty: none" },
    serial_console = { default = "",
      doc = "a serial console for grub and the kernel as well as the screen, e.g. ttyS0,115200 (a headless server's, where the passphrase prompt must appear); empty: the screen only" },
    reboot = { default = true, type = "bool",
      doc = "reboot into the new system at the end and check it (with LUKS, luks_passphrase is typed at the console: runbook --console CMD)" },
    partscan = { default = "partprobe",
      doc = "command that makes the kernel read the new partition table (the test host's kernel reads none: andromeda-partscan)" },
  },
}

local luks = params.storage == "luks-lvm"
if not luks and params.storage ~= "plain" then
  error("storage must be luks-lvm or plain, not " .. params.storage)
end
local T = params.target

-- Releases that left the main mirror live on archive.debian.org.
local archived = { wheezy = true, jessie = true, stretch = true, buster = true }
local mirror = params.mirror
if mirror == "auto" then
  mirror = archived[params.release] and "http://archive.debian.org/debian" or "http://deb.debian.org/debian"
end

-- ~/ in the key's path is your home directory, as in a shell (file.upload).
local authorized_key = params.authorized_key

-- /dev/sda → /dev/sda1; /dev/loop0 or /dev/nvme0n1 → /dev/loop0p1.
local function part(n)
  if params.disk:match("%d$") then return params.disk .. "p" .. n end
  return params.disk .. n
end
local boot_dev = part(1)
local crypt_dev = part(2)
local crypt_name = "crypt"
local root_dev = luks and ("/dev/" .. params.vg .. "/root") or part(2)
local swap_dev = luks and ("/dev/" .. params.vg .. "/swap") or nil

-- A device's UUID or file system type, read with blkid (nil when none).
local function blkid(dev, tag)
  return host.blkid(dev, tag)
end

-- Runs cmd inside the new system.
local function chroot(cmd, opts)
  return sh("chroot " .. T .. " " .. cmd, opts)
end

step("Install the installer's tools on the live system", function()
  if not luks then
    comment("storage=plain: plain partitions, no LUKS and no LVM, for hosts without device-mapper" ..
      " (like the test host this runs on in CI). The guide's own layout is storage=luks-lvm, the default.")
  end
  comment("The live system needs debootstrap and the disk tools; the installed one gets its own later.")
  local pkgs = { "debootstrap", "fdisk", "parted", "e2fsprogs" }
  if luks then
    pkgs[#pkgs + 1] = "cryptsetup"
    pkgs[#pkgs + 1] = "lvm2"
  end
  apt.install(pkgs, { update = true, recommends = false })
end)

step("Partition the disk", function()
  comment("Two partitions: a small /boot that grub can read, and the rest for the system.")
  local r = sh("sfdisk --dump " .. params.disk, { probe = true, ok = { 0, 1 } })
  if r.exit == 0 and r.output:match(part(2):gsub("%p", "%%%0") .. "%s*:") then
    comment(params.disk .. " is already partitioned: leaving it as it is.")
    return
  end
  sh("sfdisk " .. params.disk .. " <<'EOF'\nlabel: dos\nsize=" .. params.boot_size ..
     ", type=83, bootable\ntype=83\nEOF")
  sh(params.partscan .. " " .. params.disk)
end)

step("Encrypt the system partition", function()
  if not luks then
    skip("storage=plain: no LUKS (this host has no device-mapper)")
  end
  comment("LUKS with discards allowed, so TRIM reaches the SSD through the encryption.")
  local pass = params.luks_passphrase
  local format_answers, open_answers = { ["Are you sure?"] = "YES" }, nil
  if pass ~= "" then
    format_answers["Enter passphrase"], format_answers["Verify passphrase"] = pass, pass
    open_answers = { ["Enter passphrase"] = pass }
  else
    comment("No passphrase given (luks_passphrase): cryptsetup asks for it, twice, on the terminal.")
  end
  local is = sh("cryptsetup isLuks " .. crypt_dev, { probe = true, ok = { 0, 1 } })
  if is.exit ~= 0 then
    sh("cryptsetup luksFormat --type luks1 " .. crypt_dev, { answers = format_answers })
  end
  if not file.exists("/dev/mapper/" .. crypt_name) then
    sh("cryptsetup open --allow-discards " .. crypt_dev .. " " .. crypt_name, { answers = open_answers })
  end
end)

step("Make the LVM volume group", function()
  if not luks then skip("storage=plain: no LVM") end
  comment("LVM inside LUKS: one passphrase unlocks root and swap.")
  local vg = sh("vgs " .. params.vg, { probe = true, ok = { 0, 5 } })
  if vg.exit ~= 0 then
    sh("pvcreate /dev/mapper/" .. crypt_name)
    sh("vgcreate " .. params.vg .. " /dev/mapper/" .. crypt_name)
  end
  if not file.exists(root_dev) then sh("lvcreate -L " .. params.root_size .. " -n root " .. params.vg) end
  if not file.exists(swap_dev) then sh("lvcreate -L " .. params.swap_size .. " -n swap " .. params.vg) end
end)

step("Make the file systems", function()
  comment("ext4 everywhere; a device that already has a file system keeps it.")
  for _, fs in ipairs({ { boot_dev, "ext4", "boot" }, { root_dev, "ext4", "root" } }) do
    if not blkid(fs[1], "TYPE") then
      sh("mkfs.ext4 -q -L " .. fs[3] .. " " .. fs[1])
    end
  end
  if swap_dev and not blkid(swap_dev, "TYPE") then sh("mkswap " .. swap_dev) end
end)

-- mount runs the mount command unless where is a mount point already.
local function mount(what, where)
  local r = sh("mountpoint -q " .. where, { probe = true, ok = { 0, 1, 32 } })
  if r.exit ~= 0 then sh("mount " .. what .. " " .. where) end
end

step("Mount the new system", function()
  comment("The new system is built in " .. T .. ", its /boot partition mounted inside it.")
  file.mkdir(T)
  mount(root_dev, T)
  file.mkdir(T .. "/boot")
  mount(boot_dev, T .. "/boot")
end)

step("Install the base system", function()
  -- base-files, which holds /etc/debian_version, is unpacked early on;
  -- debootstrap removes its own work directory only when it finishes.
  local unfinished = file.exists(T .. "/debootstrap")
  if file.exists(T .. "/etc/debian_version") and not unfinished then
    comment("The base system is already in " .. T .. ".")
    return
  end
  if unfinished then
    comment("An earlier debootstrap stopped before it finished (" .. T .. "/debootstrap is still there), and it will not" ..
      " unpack over what it left: undo its mounts and remove the half-installed system, keeping /boot.")
    local r = sh("findmnt -rn -o TARGET -R " .. T, { probe = true, ok = { 0, 1 } })
    local inside = {}
    for m in (r.output or ""):gmatch("[^\r\n]+") do
      if m ~= T and m ~= T .. "/boot" then inside[#inside + 1] = m end
    end
    for i = #inside, 1, -1 do sh("umount " .. inside[i]) end
    sh("find " .. T .. " -xdev -mindepth 1 -maxdepth 1 ! -name boot ! -name lost+found -exec rm -rf --one-file-system {} +")
  end
  comment("debootstrap installs a minimal Debian " .. params.release .. " into " .. T .. ".")
  local env = nil
  if params.proxy ~= "" then env = { http_proxy = params.proxy } end
  sh("debootstrap --arch=amd64 " .. params.release .. " " .. T .. " " .. mirror, { timeout = 1800, env = env })
end)

step("Describe the disks", function()
  local root_uuid = blkid(root_dev, "UUID")
  local boot_uuid = blkid(boot_dev, "UUID")
  local lines = {
    "# <file system> <mount point> <type> <options> <dump> <pass>",
    "UUID=" .. root_uuid .. " / ext4 errors=remount-ro,discard 0 1",
    "UUID=" .. boot_uuid .. " /boot ext4 defaults,discard 0 2",
  }
  if swap_dev then lines[#lines + 1] = "UUID=" .. blkid(swap_dev, "UUID") .. " none swap sw,discard 0 0" end
  file.write(T .. "/etc/fstab", table.concat(lines, "\n") .. "\n")
  if luks then
    comment("crypttab with discard: the guide forgot it (its own admitted mistake), and fstrim then silently did nothing." ..
      " If you followed the guide before, add ,discard to the options of your crypttab line now.")
    file.write(T .. "/etc/crypttab",
      crypt_name .. " UUID=" .. blkid(crypt_dev, "UUID") .. " none luks,discard\n")
  end
end)

step("Prepare to work inside the new system", function()
  comment("Package scripts and grub inside the new system need /dev, /proc and /sys: the live system's, bound in.")
  for _, d in ipairs({ "dev", "proc", "sys" }) do
    mount("--rbind /" .. d, T .. "/" .. d)
  end
  if params.proxy ~= "" then
    comment("apt in the new system goes through the same proxy.")
    file.write(T .. "/etc/apt/apt.conf.d/01proxy", 'Acquire::http::Proxy "' .. params.proxy .. '";\n')
  end
end)

step("Install the kernel, disk tools and grub", function()
  comment("The new system gets a kernel, an SSH server" .. (luks and ", the tools to open LUKS and LVM at boot" or "") ..
    (params.bootloader and " and grub" or "") .. ".")
  local pkgs = { "linux-image-amd64", "openssh-server" }
  if luks then
    -- cryptsetup's initramfs hooks became a package of their own in buster.
    local split = archived[params.release] and params.release ~= "buster"
    local want = split and { "cryptsetup", "lvm2" } or { "cryptsetup", "cryptsetup-initramfs", "lvm2" }
    for _, p in ipairs(want) do pkgs[#pkgs + 1] = p end
  end
  if params.bootloader then pkgs[#pkgs + 1] = "grub-pc" end
  local list = table.concat(pkgs, " ")
  local r = chroot("dpkg-query -W -f='${db:Status-Abbrev}\\n' " .. list .. " 2>/dev/null | grep -c '^ii'",
                   { probe = true, ok = { 0, 1 } })
  local changed = false
  if tonumber((r.output or ""):match("%d+") or "0") == #pkgs then
    comment("Everything is installed already.")
  else
    comment("No package may start a daemon on the live system while we install: policy-rc.d says no.")
    file.write(T .. "/usr/sbin/policy-rc.d", "#!/bin/sh\nexit 101\n", { mode = "0755" })
    if params.bootloader then
      chroot("debconf-set-selections <<'EOF'\ngrub-pc grub-pc/install_devices multiselect " .. params.disk .. "\nEOF")
    end
    chroot("env DEBIAN_FRONTEND=noninteractive apt-get install -y " .. list, { timeout = 1800 })
    file.remove(T .. "/usr/sbin/policy-rc.d")
    changed = true
  end
  if params.bootloader then
    if luks then
      comment("The kernel line names the LUKS partition, and allows discards so TRIM reaches the SSD.")
      changed = file.line(T .. "/etc/default/grub", { regexp = "^GRUB_CMDLINE_LINUX=",
        line = 'GRUB_CMDLINE_LINUX="cryptdevice=/dev/disk/by-uuid/' .. blkid(crypt_dev, "UUID") ..
               ':' .. params.vg .. ':allow-discards"' }) or changed
    end
    if params.serial_console ~= "" then
      local unit, speed = params.serial_console:match("^ttyS(%d+),?(%d*)$")
      if not unit then error("serial_console must look like ttyS0 or ttyS0,115200, not " .. params.serial_console) end
      comment("Grub and the kernel talk on the serial console " .. params.serial_console ..
        " as well: on a headless machine that is where the passphrase prompt appears.")
      local grub = T .. "/etc/default/grub"
      changed = file.line(grub, { regexp = "^#?GRUB_CMDLINE_LINUX_DEFAULT=",
        line = 'GRUB_CMDLINE_LINUX_DEFAULT="console=tty0 console=' .. params.serial_console .. '"' }) or changed
      changed = file.line(grub, { regexp = "^#?GRUB_TERMINAL=", line = 'GRUB_TERMINAL="console serial"' }) or changed
      changed = file.line(grub, { regexp = "^#?GRUB_SERIAL_COMMAND=",
        line = 'GRUB_SERIAL_COMMAND="serial --unit=' .. unit .. ' --speed=' .. (speed ~= "" and speed or "115200") .. '"' }) or changed
    end
    if changed or not file.exists(T .. "/boot/grub/grub.cfg") then
      chroot("grub-install " .. params.disk)
      chroot("update-grub")
    end
  end
end)

step("Name the host and configure its network", function()
  local iface = params.interface
  if iface == "auto" then
    iface = facts.default_interface or "eth0"
    if iface:match("^eth%d+$") then
      -- A live system booted with net.ifnames=0 says eth0; the new system
      -- names the card as udev's predictable names do.
      local r = sh("udevadm test-builtin net_id /sys/class/net/" .. iface .. " 2>/dev/null || true", { probe = true })
      local out = r.output or ""
      local name = out:match("ID_NET_NAME_ONBOARD=(%S+)") or out:match("ID_NET_NAME_SLOT=(%S+)") or
                   out:match("ID_NET_NAME_PATH=(%S+)")
      if name then
        comment("The live system calls the network card " .. iface .. "; the new system will call it " .. name .. ".")
        iface = name
      end
    end
  end
  file.write(T .. "/etc/hostname", params.hostname .. "\n")
  file.line(T .. "/etc/hosts", { regexp = [[^127\.0\.1\.1\s]], line = "127.0.1.1\t" .. params.hostname, create = true })
  file.write(T .. "/etc/network/interfaces", table.concat({
    "auto lo",
    "iface lo inet loopback",
    "",
    "auto " .. iface,
    "iface " .. iface .. " inet dhcp",
    "",
  }, "\n"))
end)

step("Let root in with your SSH key", function()
  comment("Your public key, copied from your machine: the new system needs no root password over SSH.")
  file.mkdir(T .. "/root/.ssh", { mode = "0700" })
  file.upload(authorized_key, T .. "/root/.ssh/authorized_keys", { mode = "0600" })
  comment("The new system keeps the live system's SSH host keys: the key you accepted for this machine" ..
    " still names it after the reboot.")
  local differ = sh("(cd /etc/ssh && for k in ssh_host_*; do cmp -s $k " .. T .. "/etc/ssh/$k || echo $k; done)",
                    { probe = true })
  if (differ.output or ""):match("%S") then
    sh("cp -p /etc/ssh/ssh_host_* " .. T .. "/etc/ssh/")
  end
end)

step("Reboot into the new system", function()
  if not (params.reboot and params.bootloader) then
    comment("The new system is installed. Reboot into it when you are ready: systemctl reboot")
    comment("(A message that systemd cannot connect to the bus is harmless here.)")
    return
  end
  local unlock = nil
  if luks then
    if params.luks_passphrase ~= "" then
      comment("At boot the initramfs asks for the LUKS passphrase on the console: runbook types it there.")
      unlock = params.luks_passphrase
    else
      comment("At boot the initramfs asks for the LUKS passphrase on the console: type it there.")
    end
  end
  host.reboot({ unlock = unlock, timeout = 1800 })
  comment("Back over SSH, in the installed system:")
  if luks then
    sh("cryptsetup status " .. crypt_name)
    sh("lvs")
  end
  sh("findmnt --real")
end)
