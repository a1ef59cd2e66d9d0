-- Neovim's built-in LSP client for iPXE scripts: starts `ipxescript lsp` for every buffer of filetype
-- `ipxe` (detected by editors/vim/ftdetect/ipxe.vim). Works on Neovim 0.7 (Debian 12) and later.
local M = {}

M.defaults = {
  cmd = { "ipxescript", "lsp" },
  -- the project root holds the linter's configuration
  root_markers = { ".ipxelint.toml", "pyproject.toml", ".git" },
  on_attach = nil,
}

local uv = vim.loop
local clients_by_root = {}

local function find_root(path, markers)
  local dir = vim.fn.fnamemodify(path, ":p:h")
  while dir and dir ~= "" do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. "/" .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ":h")
    if parent == dir then
      break
    end
    dir = parent
  end
  return nil
end

-- Without a root marker: the root of a server already started that holds the file (a script chained
-- from a subfolder belongs to the tree of the menu opened before it), else the file's own folder.
local function root_without_marker(path)
  local file = vim.fn.fnamemodify(path, ":p")
  local best
  for root, _ in pairs(clients_by_root) do
    if file:sub(1, #root + 1) == root .. "/" and (best == nil or #root > #best) then
      best = root
    end
  end
  return best or vim.fn.fnamemodify(path, ":p:h")
end

function M.start(bufnr, opts)
  local name = vim.api.nvim_buf_get_name(bufnr)
  local path = name ~= "" and name or vim.fn.getcwd() .. "/x"
  local root = find_root(path, opts.root_markers) or root_without_marker(path)
  local config = {
    name = "ipxescript",
    cmd = opts.cmd,
    root_dir = root,
    workspace_folders = { { uri = vim.uri_from_fname(root), name = root } },
    on_attach = opts.on_attach,
  }
  if vim.lsp.start then -- Neovim 0.8+: reuses a running client with the same name and root
    clients_by_root[root] = vim.lsp.start(config, { bufnr = bufnr })
    return clients_by_root[root]
  end
  local id = clients_by_root[root]
  if id == nil or vim.lsp.get_client_by_id(id) == nil then
    id = vim.lsp.start_client(config)
    clients_by_root[root] = id
  end
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
  return id
end

function M.setup(opts)
  opts = vim.tbl_deep_extend("force", {}, M.defaults, opts or {})
  local group = vim.api.nvim_create_augroup("ipxescript_lsp", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = "ipxe",
    callback = function(args)
      M.start(args.buf, opts)
    end,
  })
  -- buffers already open when setup() runs
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.bo[bufnr].filetype == "ipxe" then
      M.start(bufnr, opts)
    end
  end
end

return M
