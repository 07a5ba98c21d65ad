-- Part 3 of the Debian install: the packages a home server needs, over SSH.
--   runbook debian-install-3.lua --host andromeda
runbook {
  name = "debian-install-3",
  title = "Debian install, part 3: additional packages",
  host = "andromeda",
  sudo = true,
  description = [[
Adds what a server needs day to day, and X11 for the odd local session —
without pulseaudio or desktop clients, which a server never uses.]],
  params = {
    packages = { default = "sudo vim-nox less htop tmux curl rsync lsof strace tcpdump dnsutils bash-completion",
      doc = "server tools to install (space-separated)" },
    x11 = { default = true, type = "bool", doc = "install X11 for occasional local work" },
    x11_packages = { default = "xserver-xorg xinit x11-xserver-utils xterm",
      doc = "the X11 packages (the tests use a minimal set)" },
    recommends = { default = false, type = "bool",
      doc = "install recommended packages too (they would pull in pulseaudio and desktop clients)" },
  },
}

local function words(s)
  local t = {}
  for w in s:gmatch("%S+") do t[#t + 1] = w end
  return t
end

step("Install the tools of a server", function()
  comment("Editors, pagers, process and network tools: what you reach for when something is wrong.")
  apt.install(words(params.packages), { update = true, recommends = params.recommends })
end)

step("Install X11 without the desktop", function()
  if not params.x11 then skip("x11=false: no X11 on this server") end
  comment("X11 alone, for the rare local session. Without recommends, no pulseaudio and no desktop clients come along.")
  apt.install(words(params.x11_packages), { recommends = params.recommends })
end)

step("Keep pulseaudio off the server", function()
  comment("Nothing on a server plays sound: make sure no earlier install brought pulseaudio.")
  apt.remove("pulseaudio")
end)
