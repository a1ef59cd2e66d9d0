"""DHCP for `ipxescript serve`: a BOOTP/DHCPv4 codec and an asyncio server in full or proxy mode.

server = await start_dhcp(DhcpConfig(mode="proxy", server_address="10.0.0.1", interface="br0"), policy)
...
server.close()
"""

from .codec import DhcpDecodeError, DhcpPacket, decode, encode
from .config import DhcpConfig, DhcpConfigError, parse_range, parse_reservation
from .server import DhcpServer, start_dhcp

__all__ = [
    "DhcpConfig",
    "DhcpConfigError",
    "DhcpDecodeError",
    "DhcpPacket",
    "DhcpServer",
    "decode",
    "encode",
    "parse_range",
    "parse_reservation",
    "start_dhcp",
]
