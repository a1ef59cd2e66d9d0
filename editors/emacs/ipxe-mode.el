;;; ipxe-mode.el --- Major mode for iPXE scripts, with eglot -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "26.1"))
;; Keywords: languages

;;; Commentary:

;; Highlighting for iPXE scripts (*.ipxe, or a first line "#!ipxe" / "#!gpxe") and the `ipxescript lsp'
;; language server for eglot.  iPXE is not a shell: words are runs of non-whitespace, there are no
;; quotes or escapes, `#' starts a comment only at the start of a word, `||' `&&' `;' are operators only
;; as whole words, `${...}' nests and labels are `:name' at the start of a line.

;;; Code:

(defgroup ipxe nil "iPXE scripts." :group 'languages)

(defcustom ipxe-server-command '("ipxescript" "lsp")
  "Command that starts the iPXE language server over stdio."
  :type '(repeat string))

(defconst ipxe--font-lock-keywords
  '(("\\`#!\\(?:ipxe\\|gpxe\\)" 0 font-lock-preprocessor-face t) ; over the comment face
    ("^[ \t]*\\(:[^ \t\n]*\\)" 1 font-lock-constant-face)
    ("\\(?:^\\|[ \t]\\)\\(||\\|&&\\|;\\)\\(?:[ \t]\\|$\\)" 1 font-lock-keyword-face)
    ;; a command name: first word of a line (after an optional label), or after an operator
    ("\\(?:^[ \t]*\\(?::[^ \t\n]*[ \t]+\\)?\\|\\(?:||\\|&&\\|;\\)[ \t]+\\)\\([^ \t\n#$][^ \t\n]*\\)"
     1 font-lock-function-name-face)
    ("\\(?:^\\|[ \t]\\)\\(--?[A-Za-z][A-Za-z0-9-]*\\)" 1 font-lock-builtin-face)
    ("\\${[^ \t\n{}]*}" . font-lock-variable-name-face))
  "Highlighting for `ipxe-mode'.")

(defun ipxe--syntax-propertize (start end)
  "Mark `#' as a comment starter only at the start of a word, between START and END."
  (goto-char start)
  (funcall
   (syntax-propertize-rules
    ("\\(?:^\\|[ \t]\\)\\(#\\)" (1 "<")))
   start end))

(defvar ipxe-mode-syntax-table
  (let ((table (make-syntax-table)))
    (modify-syntax-entry ?# "_" table)  ; a comment only where `ipxe--syntax-propertize' says so
    (modify-syntax-entry ?\n ">" table)
    (modify-syntax-entry ?\" "_" table) ; quotes are ordinary characters in iPXE
    (modify-syntax-entry ?\' "_" table)
    (modify-syntax-entry ?{ "(}" table)
    (modify-syntax-entry ?} "){" table)
    (dolist (c '(?- ?_ ?. ?/ ?: ?$ ?| ?& ?\;)) (modify-syntax-entry c "_" table))
    table)
  "Syntax table for `ipxe-mode'.")

;;;###autoload
(define-derived-mode ipxe-mode prog-mode "iPXE"
  "Major mode for iPXE scripts."
  (setq-local comment-start "# ")
  (setq-local comment-start-skip "\\(?:^\\|[ \t]\\)#+[ \t]*")
  (setq-local syntax-propertize-function #'ipxe--syntax-propertize)
  (setq-local font-lock-defaults '(ipxe--font-lock-keywords)))

;;;###autoload
(add-to-list 'auto-mode-alist '("\\.ipxe\\'" . ipxe-mode))
;;;###autoload
(add-to-list 'magic-mode-alist '("\\`#!\\(?:ipxe\\|gpxe\\)[ \t\n\v\f\r]" . ipxe-mode))

(defun ipxe--server-contact (&optional _interactive)
  "The server command for eglot, read when a server starts (so it may be set at any time)."
  ipxe-server-command)

(with-eval-after-load 'eglot
  (add-to-list 'eglot-server-programs '(ipxe-mode . ipxe--server-contact)))

(provide 'ipxe-mode)
;;; ipxe-mode.el ends here
