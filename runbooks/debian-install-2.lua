-- Part 2 of the Debian install: the first boot of the new system, on its
-- console or over SSH once it is up.
--   runbook debian-install-2.lua --host andromeda
runbook {
  name = "debian-install-2",
  title = "Debian install, part 2: the first boot",
  host = "andromeda",
  sudo = true,
  description = [[
The first boot of the freshly installed system: quiet the LVM warning about
lvmetad, make sure SSH starts at boot (the unit is ssh.service, not
sshd.service), and trim the SSD once a week.]],
  params = {
    lvm_conf = { default = "/etc/lvm/lvm.conf", doc = "LVM's configuration file" },
  },
}

step("Stop LVM from waiting for lvmetad", function()
  comment("On stretch, LVM is set to use lvmetad, which the initramfs does not start: every boot warns about it.")
  local conf = file.read(params.lvm_conf)
  if not conf then
    skip("no " .. params.lvm_conf .. " on this host: LVM is not installed")
  end
  if not conf:match("\n%s*use_lvmetad%s*=") and not conf:match("^%s*use_lvmetad%s*=") then
    skip("this LVM has no lvmetad (removed in LVM 2.03): nothing to turn off")
  end
  file.line(params.lvm_conf, { regexp = [[^\s*use_lvmetad\s*=]], line = "\tuse_lvmetad = 0" })
end)

step("Start SSH at boot", function()
  comment("The gotcha: Debian's unit is ssh.service; sshd.service is only an alias, and enabling an alias fails.")
  systemd.enable("ssh.service")
end)

step("Trim the SSD every week", function()
  comment("With discard allowed through LUKS and LVM, a weekly fstrim tells the SSD which blocks are free.")
  comment("Enabled, the timer starts at every boot from now on.")
  -- Not started now: the timer refuses to run in a container (the test
  -- host), and on a real server the next boot is near anyway.
  systemd.enable("fstrim.timer")
end)
