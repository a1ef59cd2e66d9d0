-- Driven by test_neovim_lsp.py: a headless Neovim edits an iPXE script through the language server.
-- Steps: wait for the broken goto's diagnostic, jump from a goto to its label, rename a label; then
-- write what happened as JSON to $IPXE_RESULT and quit.
local result = { steps = {} }
local bufnr = vim.api.nvim_get_current_buf()

local function finish()
  result.lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local file = io.open(os.getenv("IPXE_RESULT"), "w")
  file:write(vim.fn.json_encode(result))
  file:close()
  vim.cmd("qa!")
end

local function step(name, ok)
  table.insert(result.steps, { name = name, ok = ok })
  return ok
end

local ok, err = pcall(function()
  require("ipxescript").setup({ cmd = { os.getenv("IPXE_PYTHON"), "-m", "ipxescript", "lsp" } })
  result.filetype = vim.bo[bufnr].filetype

  -- 1. the diagnostic for `goto strat`
  local function lint_diagnostics()
    return vim.tbl_filter(function(d)
      return d.source == "ipxelint"
    end, vim.diagnostic.get(bufnr))
  end
  step("diagnostics", vim.wait(30000, function()
    for _, d in ipairs(lint_diagnostics()) do
      if d.message:find("strat", 1, true) then
        return true
      end
    end
    return false
  end, 50))
  result.diagnostics = {}
  for _, d in ipairs(lint_diagnostics()) do
    local code = d.code or (d.user_data and d.user_data.lsp and d.user_data.lsp.code)
    table.insert(result.diagnostics, { lnum = d.lnum, col = d.col, code = code, message = d.message })
  end

  -- 2. go to definition from `goto start` (last line)
  local last = vim.api.nvim_buf_line_count(bufnr)
  vim.api.nvim_win_set_cursor(0, { last, 6 })
  vim.lsp.buf.definition()
  step("definition", vim.wait(10000, function()
    return vim.api.nvim_win_get_cursor(0)[1] ~= last
  end, 50))
  result.definition = vim.api.nvim_win_get_cursor(0)

  -- 3. rename the label `linux` from its definition
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    if line == ":linux" then
      vim.api.nvim_win_set_cursor(0, { i, 2 })
    end
  end
  vim.lsp.buf.rename("debian")
  step("rename", vim.wait(10000, function()
    return vim.tbl_contains(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), ":debian")
  end, 50))
end)
if not ok then
  result.error = tostring(err)
end
finish()
