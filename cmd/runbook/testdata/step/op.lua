-- A stdlib operation under --step: the prompt shows its diff first.
runbook { name = "op", params = { dir = { doc = "where to write" } } }

step("Write the config", function()
  file.write(params.dir .. "/conf.txt", "answer=42\n")
end)
