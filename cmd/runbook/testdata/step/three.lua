-- Three steps, each leaving a file behind, for the --step tests.
runbook { name = "three", title = "Three files" }

step("Make a", function()
  comment("First we make a.")
  sh("touch a")
end)

step("Make b", function()
  sh("touch b")
end)

step("Make c", function()
  sh("touch c")
end)
