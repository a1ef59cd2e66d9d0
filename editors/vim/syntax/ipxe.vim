" Vim syntax for iPXE scripts, following iPXE's tokeniser (not a shell's): words are runs of
" non-whitespace, there are no quotes or escapes, `#` starts a comment only at the start of a word,
" `||` `&&` `;` are operators only as whole words, `${...}` nests, labels are `:name` at line start.
if exists('b:current_syntax')
  finish
endif

syn case match
syn iskeyword @,48-57,_,-,.

syn keyword ipxeCommand contained autoboot boot certfree certstat certstore chain choose clear
      \ colour config console cpair cpuid dhcp echo exit fcels fcstat fdt form gdbstub goto help ibstat
      \ ifclose ifconf iflinkwait ifopen ifstat imgargs imgdecrypt imgexec imgextract imgfetch imgfree
      \ imgload imgmem imgselect imgset imgstat imgtrust imgverify inc initrd ipstat iseq isset item iwlist
      \ iwstat kernel login lotest md4sum md5sum menu module nslookup nstat ntp param params pciscan ping
      \ poweroff present profstat prompt pxebs read reboot route sanboot sanhook sanunhook set sha1sum
      \ sha224sum sha256sum sha384sum sha512sum shell shim show sleep startpxe stoppxe sync time usbscan
      \ vcreate vdestroy

" a URL argument; defined before the command name, which wins where both match (a URL after `&&` is run)
syn match ipxeUrl /\%(\s\)\@<=\%([A-Za-z][A-Za-z_-]*:\/\/\|data:\)\S*/ contains=ipxeExpansion
" a command name: the first word of a line (after an optional label) or after an operator
syn match ipxeCommandWord /\%(^\s*\%(:\S*\s\+\)\=\|\%(^\|\s\)\%(||\|&&\|;\)\s\+\)\@<=[^ \t#$]\S*/ contains=ipxeCommand,ipxeExpansion
syn match ipxeLabel /^\s*:\S*/
syn match ipxeOperator /\%(^\|\s\)\@<=\%(||\|&&\|;\)\%(\s\|$\)\@=/
syn match ipxeOption /\%(\s\)\@<=--\=[A-Za-z][A-Za-z0-9-]*\%(=\S*\)\=\%(\s\|$\)\@=/
syn match ipxeNumber /\%(\s\)\@<=\%(0[xX]\x\+\|\d\+\)\%(\s\|$\)\@=/
syn region ipxeExpansion matchgroup=ipxeExpansionDelimiter start=/\${\%(\S*}\)\@=/ end=/}/ contains=ipxeExpansion,ipxeSettingType oneline
syn match ipxeSettingType /:[A-Za-z0-9]\+\%(}\)\@=/ contained
syn match ipxeContinuation /\\$/
" a comment runs to the end of the logical line, so a trailing backslash takes the next line along
syn region ipxeComment start=/\%(^\|\s\)\@<=#/ skip=/\\$/ end=/$/ keepend contains=ipxeMagic,@Spell
syn match ipxeMagic /\%1l^#!\%(ipxe\|gpxe\)\%(\s\|$\)\@=/ contained

hi def link ipxeCommand Statement
hi def link ipxeCommandWord Function
hi def link ipxeLabel Label
hi def link ipxeOperator Operator
hi def link ipxeOption Special
hi def link ipxeNumber Number
hi def link ipxeUrl Underlined
hi def link ipxeExpansion Identifier
hi def link ipxeExpansionDelimiter Delimiter
hi def link ipxeSettingType Type
hi def link ipxeContinuation SpecialChar
hi def link ipxeComment Comment
hi def link ipxeMagic PreProc

let b:current_syntax = 'ipxe'
