" iPXE scripts: *.ipxe, or any file whose first line is iPXE's magic `#!ipxe` / `#!gpxe` + whitespace.
" The magic line wins over a name-based guess (boot.txt), as it does for iPXE itself.
autocmd BufRead,BufNewFile *.ipxe setfiletype ipxe
autocmd BufRead,BufNewFile * if getline(1) =~# '^#!\(ipxe\|gpxe\)\(\s\|$\)' | set filetype=ipxe | endif
