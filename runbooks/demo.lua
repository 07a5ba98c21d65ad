-- A small runbook that runs on any Linux machine without root: it shows
-- what a runbook is made of. Try:
--   runbook runbooks/demo.lua
--   runbook steps runbooks/demo.lua
--   runbook runbooks/demo.lua --set greeting=bonjour --only 2
runbook {
  name = "demo",
  title = "A first runbook",
  description = [[
Shows the parts of a runbook: narration, commands in one persistent shell,
parameters (one of them secret), output read back into Lua, accepted exit
statuses, expected output, retries, and a heredoc typed exactly as written.
Everything happens in a scratch directory under /tmp; nothing needs root.]],
  params = {
    greeting = { default = "hello", doc = "what to say" },
    token    = { default = "s3cr3t-demo-token", secret = true, env = "DEMO_TOKEN",
                 doc = "a secret: masked as **** wherever it would show" },
  },
}

step("Say hello", function()
  comment("Comments become the narration of the guide.")
  sh("echo " .. params.greeting .. ", $(whoami)")
  local r = sh("grep -c '^root:' /etc/passwd", { ok = {0, 1} })
  if r.exit == 0 then
    comment("This machine has a root account (" .. r.output:gsub("%s+$", "") .. " line).")
  end
end)

step("Work in a scratch directory", function()
  comment("The shell persists: a cd or an export holds for the next commands.")
  sh("export DEMO_DIR=\"$(mktemp -d /tmp/runbook-demo.XXXXXX)\" && cd \"$DEMO_DIR\"")
  sh("export DEMO_STARTED=\"$(date -u +%H:%M:%S)\"")
  sh([[cat > notes.txt <<'EOF'
Heredocs are typed exactly as written: $HOME stays $HOME,
	tabs stay tabs, and "quotes" stay quotes.
EOF]])
  sh("cat notes.txt", { expect = "exactly as written" })
  sh("wc -l notes.txt")
end)

step("Keep a secret", function()
  comment("The token reaches commands as $DEMO_TOKEN, never on a command line.")
  sh([[printf 'the token has %d characters\n' "${#DEMO_TOKEN}"]])
  comment("Printing it anyway shows **** in the recording.")
  sh("echo \"$DEMO_TOKEN\"")
end)

step("Wait for something", function()
  comment("A command that fails at first is tried again with retries and delay.")
  sh("test -e ready || { touch ready; false; }", { retries = 2, delay = 0.2 })
  sh("ls -l ready")
  sh("sleep 0.3; echo done", { timeout = 10 })
end)

step("Clean up", function()
  sh('cd / && rm -rf -- "${DEMO_DIR:?is not set: run step 2 first}"')
  sh('echo "started at $DEMO_STARTED, ended at $(date -u +%H:%M:%S)"')
  comment("Play it back: runbook play recordings/FILE.ttyrec")
end)
