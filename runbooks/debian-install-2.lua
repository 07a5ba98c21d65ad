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
  comment("LVM 2.03 (buster and later) has no lvmetad, and a host without LVM no lvm.conf: there is nothing to turn off.")
  file.line(params.lvm_conf, { regexp = [[^\s*use_lvmetad\s*=]], line = "\tuse_lvmetad = 0", add = false, if_exists = true })
end)

step("Start SSH at boot", function()
  comment("The gotcha: Debian's unit is ssh.service; sshd.service is only an alias, and enabling an alias fails.")
  systemd.enable("ssh.service")
end)

step("Trim the SSD every week", function()
  comment("With discard allowed through LUKS and LVM, a weekly fstrim tells the SSD which blocks are free.")
  comment("Enabled, the timer starts at every boot from now on.")
  comment("stretch ships the timer only as an example, in /usr/share/doc/util-linux/examples: it is copied where systemd looks first.")
  local old = { wheezy = true, jessie = true, stretch = true }
  if old[facts.os.codename or ""] and not file.exists("/etc/systemd/system/fstrim.timer") then
    sh("cp /usr/share/doc/util-linux/examples/fstrim.service /usr/share/doc/util-linux/examples/fstrim.timer /etc/systemd/system/")
  end
  -- Not started now: the timer refuses to run in a container (the test
  -- host), and on a real server the next boot is near anyway.
  systemd.enable("fstrim.timer")
end)
