"""TFTP for the boot server: read-only, confined to a root directory, options per RFC 2347/2348/2349/7440.

server = await start_tftp("/srv/tftp", "0.0.0.0", 69, policy)
...
server.close()
"""

from .files import FileAccessError, FileRoot
from .packets import TftpPacketError
from .server import TftpServer, TftpSettings, start_tftp

__all__ = ["FileAccessError", "FileRoot", "TftpPacketError", "TftpServer", "TftpSettings", "start_tftp"]
