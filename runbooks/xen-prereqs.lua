-- Part 4 of the guide "Kubernetes and Xen, part 1: prerequisites": turn an
-- installed Debian server into a Xen host (dom0) with a private network for
-- its guests. Run it as the guide's readers do:
--   runbook xen-prereqs.lua --host andromeda
--   runbook xen-prereqs.lua --host andromeda --step
--   runbook xen-prereqs.lua --host andromeda --dry-run
runbook {
  name = "xen-prereqs",
  title = "Xen prerequisites",
  host = "andromeda",
  sudo = true,
  description = [[
A home lab for Kubernetes wants several machines, and one server can be them
all as Xen guests: a box with at least four cores that have hardware
virtualisation (VT-x or AMD-V), 12 to 16 GB of memory and an SSD holds a
handful of guests comfortably. This part turns the freshly installed Debian
server of the first three parts into that Xen host (dom0): the hypervisor
and its tools, Xen first in the boot menu with a small, pinned dom0, a
bridge over the physical interface, a private network for the guests with
its own DHCP server, and the toolstack settings. Only dom0 is reachable from
outside; the guests are reached through it. Every step can run again on a
configured host and changes nothing. It ends by asking you to reboot into
Xen.]],
  normalize = {
    "00:16:3e:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]",
  },
  params = {
    release = { default = "auto",
      doc = "apt release to install from (-t); auto: the release's backports when the host's sources have them (the guide: stretch-backports)" },
    xen_package = { default = "auto",
      doc = "Xen metapackage; auto: xen-linux-system-amd64 on stretch and older, xen-system-amd64 later" },
    recommends = { default = true, type = "bool",
      doc = "install recommended packages too (false keeps the install small, as the tests do)" },
    crypt_uuid = { default = "",
      doc = "UUID of the LUKS partition for cryptdevice=; empty: taken from the host, left out when it has none" },
    crypt_options = { default = "lvm:allow-discards",
      doc = "what follows the UUID in cryptdevice= (the volume group and discard support)" },
    dom0_mem = { default = "512M", doc = "memory given to dom0 (the rest is for guests)" },
    dom0_vcpus = { default = 1, type = "number", doc = "CPUs given to dom0, pinned" },
    interface = { default = "auto",
      doc = "physical interface for the xenbr0 bridge; auto: the host's default route interface" },
    bridge = { default = "xenbr0", doc = "bridge over the physical interface" },
    private_net = { default = "192.168.100.0/24", doc = "the guests' private network behind dom0" },
    private_bridge = { default = "virbr1", doc = "bridge of the private network" },
    masquerade = { default = true, type = "bool",
      doc = "masquerade the private network with nftables so guests reach the internet" },
    serial_console = { default = "",
      doc = "a serial console Xen and dom0 talk on, e.g. ttyS0,115200 (a headless server's, where dom0's passphrase prompt must appear): Xen takes the port as com1 and dom0 gets hvc0; empty: the screen only" },
    reboot = { default = false, type = "bool",
      doc = "reboot into Xen at the end and check that xl info names the hypervisor (the guide leaves the reboot to you)" },
    luks_passphrase = { default = "", secret = true,
      doc = "with reboot: the LUKS passphrase, typed at the console when the initramfs asks (runbook --console CMD); empty: type it there yourself" },
  },
}

local grub_default = "/etc/default/grub"

-- The private network's addresses, from private_net.
local net_info = net.cidr(params.private_net)
local dom0_addr = net.cidr_host(params.private_net, 1)
local dummy = params.private_bridge .. "-dummy"
local dnsmasq_dir = "/var/lib/dnsmasq/" .. params.private_bridge

-- Xen's package was renamed after stretch.
local function xen_package()
  if params.xen_package ~= "auto" then return params.xen_package end
  local old = { wheezy = true, jessie = true, stretch = true }
  if old[facts.os.codename or ""] then return "xen-linux-system-amd64" end
  return "xen-system-amd64"
end

-- apt.install's options: the guide installs from backports where the
-- host has them.
local function from(opts)
  opts.recommends = params.recommends
  if params.release == "auto" then opts.backports = true else opts.release = params.release end
  return opts
end

step("Install the Xen hypervisor and tools", function()
  comment("Xen comes as one metapackage that pulls in the hypervisor, its tools and the grub integration.")
  comment("The guide took it from stretch-backports, for a newer Xen; where the host has no backports, its release's own Xen will do.")
  comment("The metapackage was xen-linux-system-amd64 up to stretch; later releases call it xen-system-amd64.")
  apt.install(xen_package(), from({ update = true }))
end)

step("Boot Xen first", function()
  comment("grub lists its entries in the order of the scripts in /etc/grub.d.")
  comment("Diverting 20_linux_xen to 08_linux_xen puts the Xen entries before the plain Linux ones, and survives package upgrades.")
  dpkg.divert("/etc/grub.d/20_linux_xen", { to = "/etc/grub.d/08_linux_xen", rename = true })
end)

step("Give dom0 a small, pinned share of the machine", function()
  local uuid = params.crypt_uuid
  if uuid == "" then uuid = facts.luks_uuid end
  local cmdline = "net.ifnames=1"
  if uuid then
    cmdline = "cryptdevice=/dev/disk/by-uuid/" .. uuid .. ":" .. params.crypt_options .. " " .. cmdline
  end
  comment("One variable, _CMDLINE_LINUX, holds the kernel line, shared by the plain and the Xen entries.")
  comment("Where the root file system is on LUKS, as in the guide, the line names the LUKS partition by its UUID" ..
    " (take it from your host: blkid -t TYPE=crypto_LUKS) and allows discards, so TRIM reaches the SSD;" ..
    " without LUKS it has no cryptdevice=.")
  comment("(The guide's first line reads CMDLINE_LINUX=, a typo: the others use $_CMDLINE_LINUX.)")
  comment("Xen's own line gives dom0 " .. params.dom0_mem .. " of memory, fixed, and " .. params.dom0_vcpus ..
    " pinned CPU(s): everything else is left for the guests.")
  comment("(To switch between nouveau and nvidia later: add modprobe.blacklist=nouveau to GRUB_CMDLINE_LINUX," ..
    " after $_CMDLINE_LINUX, so only the plain Linux entries get it, and modprobe.blacklist=nvidia,nvidia-drm,nvidia-modeset" ..
    " to GRUB_CMDLINE_LINUX_XEN_REPLACE, for dom0.)")
  local xen = string.format("dom0_mem=%s,max:%s dom0_max_vcpus=%d dom0_vcpus_pin",
    params.dom0_mem, params.dom0_mem, params.dom0_vcpus)
  if params.serial_console ~= "" then
    local unit, speed = params.serial_console:match("^ttyS(%d+),?(%d*)$")
    if not unit then error("serial_console must look like ttyS0 or ttyS0,115200, not " .. params.serial_console) end
    local com = "com" .. (tonumber(unit) + 1)
    comment("Xen takes the serial port " .. params.serial_console .. " as " .. com .. " and passes dom0's console (hvc0) through" ..
      " to it: on a headless server that is where dom0's passphrase prompt appears.")
    xen = xen .. " console=" .. com .. ",vga " .. com .. "=" .. (speed ~= "" and speed or "115200") .. ",8n1"
  end
  local lines = {
    { "^_CMDLINE_LINUX=", '_CMDLINE_LINUX="' .. cmdline .. '"', "^GRUB_CMDLINE_LINUX=" },
    { "^GRUB_CMDLINE_XEN_DEFAULT=", 'GRUB_CMDLINE_XEN_DEFAULT="' .. xen .. '"' },
    { "^GRUB_CMDLINE_LINUX=", 'GRUB_CMDLINE_LINUX="$_CMDLINE_LINUX"' },
    { "^GRUB_CMDLINE_LINUX_XEN_REPLACE=", 'GRUB_CMDLINE_LINUX_XEN_REPLACE="$_CMDLINE_LINUX"' },
  }
  if params.serial_console ~= "" then
    table.insert(lines, { "^GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT=", 'GRUB_CMDLINE_LINUX_XEN_REPLACE_DEFAULT="console=hvc0"' })
  end
  for _, l in ipairs(lines) do
    file.line(grub_default, { regexp = l[1], line = l[2], before = l[3] })
  end
end)

step("Silence grub's warning about the default entry", function()
  comment("Xen's grub snippet warns at every update-grub until XEN_OVERRIDE_GRUB_DEFAULT is set to 0 or 1.")
  comment("0 keeps grub's own default entry; with Xen's entries first, that is Xen anyway.")
  -- The guide's xen.cfg had "#XEN_OVERRIDE_GRUB_DEFAULT=0" to uncomment;
  -- later ones have "#XEN_OVERRIDE_GRUB_DEFAULT=" with no value: set it.
  file.line("/etc/default/grub.d/xen.cfg",
    { regexp = [[^(#\s*)?XEN_OVERRIDE_GRUB_DEFAULT=]], line = "XEN_OVERRIDE_GRUB_DEFAULT=0" })
end)

step("Regenerate the initramfs and the boot menu", function()
  comment("The guide makes every kernel's initramfs again once Xen is installed. Here that happens whenever an" ..
    " initramfs is older than Xen's installation (the date of its package's file list) or than initramfs-tools'" ..
    " configuration and hooks, so a run stopped before this step leaves the work to the next one.")
  file.rebuild("/boot/initrd.img-*", {
    from = { "/var/lib/dpkg/info/" .. xen_package() .. ".list", "/etc/initramfs-tools", "/usr/share/initramfs-tools" },
    by = "update-initramfs -u -k all",
  })
  comment("grub.cfg is made from /etc/default/grub and the scripts in /etc/grub.d: whenever they are newer, update-grub" ..
    " makes it again, even when an earlier run changed them and stopped before this step.")
  file.rebuild("/boot/grub/grub.cfg", { from = { grub_default, "/etc/default/grub.d", "/etc/grub.d" }, by = "update-grub" })
end)

step("Bridge the physical interface and add a private network", function()
  local iface = params.interface
  if iface == "auto" then
    iface = facts.default_interface
    if not iface then
      error("no default route on " .. facts.hostname .. ": set the interface parameter (--set interface=eno1)")
    end
    if iface == params.bridge then
      -- Configured and booted already: the default route is the bridge's,
      -- and the physical interface is its port.
      local conf = file.read("/etc/network/interfaces") or ""
      iface = conf:match("iface " .. params.bridge:gsub("%p", "%%%0") .. " inet dhcp\n%s+bridge_ports (%S+)")
      if not iface then
        error("the default route is on " .. params.bridge .. ", which /etc/network/interfaces does not bridge over an interface: set the interface parameter (--set interface=eno1)")
      end
    end
  end
  comment("Only dom0 is reachable from outside, through " .. params.bridge .. ", a bridge over the physical interface " ..
    iface .. " (the interface of the host's default route; the guide's was eno1: find yours with ip addr).")
  comment("The guests live on " .. params.private_net .. " behind dom0, on " .. params.private_bridge ..
    ", a bridge over a dummy interface: reachable from outside only through port forwards in dom0.")
  apt.install({ "ifupdown", "bridge-utils" }, { recommends = params.recommends })
  comment("Since bullseye, systemd gives a new bridge a MAC address of its own (MACAddressPolicy=persistent): " ..
    params.bridge .. " would then get another DHCP lease, and another address, than " .. iface .. " had." ..
    " With this .link file the bridge takes the MAC of its port, as it did before.")
  file.write("/etc/systemd/network/10-" .. params.bridge .. ".link", table.concat({
    "[Match]",
    "OriginalName=" .. params.bridge,
    "",
    "[Link]",
    "MACAddressPolicy=none",
    "",
  }, "\n"))

  -- The dummy's MAC is random but made once: keep the one already there.
  local current = file.read("/etc/network/interfaces") or ""
  local mac = current:match("link set " .. dummy:gsub("%-", "%%-") .. " address (00:16:3e:%x%x:%x%x:%x%x)")
  if not mac then mac = net.random_mac("00:16:3e") end
  comment("The dummy interface needs an address of its own, with Xen's prefix 00:16:3e, made once for each host:" ..
    [[ echo "00:16:3e"$(hexdump -n3 -e '/1 ":%02x"' /dev/urandom) prints one. Put yours where the file below has ]] ..
    mac .. ".")

  file.write("/etc/network/interfaces", table.concat({
    "# The loopback network interface",
    "auto lo",
    "iface lo inet loopback",
    "",
    "# The physical interface has no address of its own: it is a port of " .. params.bridge .. ".",
    "iface " .. iface .. " inet manual",
    "",
    "# dom0's address on the outside network, by DHCP, on the bridge the physical interface is part of.",
    "auto " .. params.bridge,
    "iface " .. params.bridge .. " inet dhcp",
    "    bridge_ports " .. iface,
    "",
    "# A dummy interface, so that " .. params.private_bridge .. " has a port and comes up before any guest does.",
    "auto " .. dummy,
    "iface " .. dummy .. " inet manual",
    "    pre-up /sbin/ip link add " .. dummy .. " type dummy",
    "    up /sbin/ip link set " .. dummy .. " address " .. mac,
    "",
    "# The guests' private network: dom0 is " .. dom0_addr .. " on it, and serves DHCP there (dnsmasq@" ..
      params.private_bridge .. ").",
    "auto " .. params.private_bridge,
    "iface " .. params.private_bridge .. " inet static",
    "    bridge_ports " .. dummy,
    "    bridge_stp on",
    "    bridge_fd 2",
    "    address " .. dom0_addr,
    "    netmask " .. net_info.netmask,
    "    up /bin/systemctl start dnsmasq@" .. params.private_bridge .. ".service || :",
    "    down /bin/systemctl stop dnsmasq@" .. params.private_bridge .. ".service || :",
    "",
  }, "\n"))
end)

step("Serve DHCP on the private network only", function()
  comment("dnsmasq must not answer on the main interface: stop and disable its default instance.")
  apt.install("dnsmasq", from({}))
  systemd.disable("dnsmasq.service", { now = true })
  comment("A templated unit runs one dnsmasq per private bridge, with its own configuration.")
  systemd.unit("dnsmasq@.service", [[
[Unit]
Description=DHCP and DNS caching server for %i.
After=network-pre.target

[Service]
ExecStart=/usr/sbin/dnsmasq -k --conf-file=/var/lib/dnsmasq/%i/dnsmasq.conf
ExecReload=/bin/kill -HUP $MAINPID
Restart=on-failure
RestartSec=5

[Install]
WantedBy=multi-user.target
]])
  file.mkdir(dnsmasq_dir)
  file.touch(dnsmasq_dir .. "/leases")
  comment("A first static lease, used later to check the setup.")
  local last = net.cidr_host(params.private_net, -2)
  file.write(dnsmasq_dir .. "/hostsfile", "00:16:3e:ee:ee:01," .. last .. "\n")
  file.write(dnsmasq_dir .. "/dnsmasq.conf", table.concat({
    "# Only the private bridge: never the loopback or the outside network.",
    "except-interface=lo",
    "interface=" .. params.private_bridge,
    "bind-dynamic",
    "",
    "# ." .. dom0_addr:match("(%d+)$") .. " will be the address your Dom0 will be accessible from the guests",
    "dhcp-range=" .. net.cidr_host(params.private_net, 2) .. "," .. last,
    "",
    "# Leases and fixed addresses live beside this file, one directory per bridge.",
    "dhcp-lease-max=1000",
    "dhcp-leasefile=" .. dnsmasq_dir .. "/leases",
    "dhcp-hostsfile=" .. dnsmasq_dir .. "/hostsfile",
    "dhcp-no-override",
    "strict-order",
    "",
  }, "\n"))
end)

step("Masquerade the private network", function()
  if not params.masquerade then
    skip("masquerade=false: guests reach only dom0")
  end
  comment("The guide mentions it without showing it: guests reach the internet through dom0's address.")
  comment("Forwarding on, and one nftables rule, in a file of its own, that masquerades what leaves the private network for elsewhere.")
  apt.install("nftables", { recommends = params.recommends })
  file.write("/etc/sysctl.d/80-xen-private-net.conf", "net.ipv4.ip_forward = 1\n")
  file.mkdir("/etc/nftables.d")
  file.write("/etc/nftables.d/xen-private-net.nft", table.concat({
    "# Guests on " .. params.private_net .. " reach the outside through dom0's address.",
    "table ip xen_private_nat {",
    "\tchain postrouting {",
    "\t\ttype nat hook postrouting priority srcnat; policy accept;",
    "\t\tip saddr " .. net_info.network .. "/" .. net_info.prefix .. " oifname != \"" .. params.private_bridge .. "\" masquerade",
    "\t}",
    "}",
    "",
  }, "\n"))
  file.line("/etc/nftables.conf", { line = 'include "/etc/nftables.d/*.nft"' })
  systemd.enable("nftables.service")
end)

step("Use the xl toolstack", function()
  comment("xl is the toolstack that creates and manages the guests; /etc/xen/xl.conf stays as it is.")
  file.line("/etc/default/xen", { regexp = [[^(#\s*)?TOOLSTACK=]], line = "TOOLSTACK=xl" })
end)

step("Configure xend where it still exists", function()
  local sxp = "/etc/xen/xend-config.sxp"
  comment("Only Xen before 4.5 has xend and " .. sxp .. "; where it is there: no network script" ..
    " (the bridges are ours), and a fixed, unballooned dom0. Newer Xen needs none of it.")
  local settings = {
    { "network-script", "(network-script /bin/true)" },
    { "vif-script", "(vif-script vif-bridge)" },
    { "dom0-min-mem", "(dom0-min-mem " .. (params.dom0_mem:gsub("M$", "")) .. ")" },
    { "enable-dom0-ballooning", "(enable-dom0-ballooning no)" },
    { "dom0-cpus", "(dom0-cpus " .. params.dom0_vcpus .. ")" },
  }
  for _, s in ipairs(settings) do
    file.line(sxp, { regexp = [[^(#\s*)?\(]] .. s[1] .. " ", line = s[2], if_exists = true })
  end
end)

step("Start and stop guests by hand", function()
  comment("xendomains would save running guests at shutdown and restore them at boot: turn both off.")
  file.line("/etc/default/xendomains", { regexp = [[^(#\s*)?XENDOMAINS_SAVE=]], line = "XENDOMAINS_SAVE=" })
  file.line("/etc/default/xendomains", { regexp = [[^(#\s*)?XENDOMAINS_RESTORE=]], line = "XENDOMAINS_RESTORE=false" })
end)

step("Reboot into Xen", function()
  if not params.reboot then
    comment("Everything is in place: reboot into Xen when it suits you, with systemctl reboot.")
    comment("After the reboot, xl info should name the hypervisor, and dom0 should have the memory and CPUs given above.")
    return
  end
  comment("Everything is in place: reboot into Xen. Grub's first entry starts the hypervisor, and Linux as its dom0.")
  local unlock = params.luks_passphrase ~= "" and params.luks_passphrase or nil
  host.reboot({ unlock = unlock, timeout = 1800 })
  comment("Back over SSH, in dom0: xl info names the hypervisor, and dom0 has the memory and CPUs given above.")
  local info = sh("xl info")
  if not (info.output or ""):match("xen_version%s*:") then
    error("xl info names no hypervisor: the host did not boot into Xen")
  end
  sh("xl list")
end)
