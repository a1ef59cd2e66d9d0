"""The iPXE script grammar (``ipxe.lark``), installed as ``ipxescript.grammar``."""
