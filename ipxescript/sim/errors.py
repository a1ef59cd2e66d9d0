"""iPXE error numbers and their texts, as the firmware prints them.

An iPXE status packs a POSIX-like class in bits 30-24, a per-file id in bits 23-13, a disambiguator in
bits 12-8 and a platform code in bits 7-0 (src/include/errno.h). The simulator keeps statuses as the
positive 32-bit value that ``${errno}`` shows. Values are those of x86_64 EFI builds (DEBIAN-12-BUILD.md
§4); other platforms only change the low byte, which ``for_platform`` rewrites.
"""

from __future__ import annotations

# POSIX class bytes (src/include/errno.h)
EACCES = 0x02
ECANCELED = 0x0B
EINVAL = 0x1C
EIO = 0x1D
ENODEV = 0x2C
ENOENT = 0x2D
ENOEXEC = 0x2E
ENOMEM = 0x31
ENOTSUP = 0x3C
ENOTTY = 0x3D
EPERM = 0x41
ERANGE = 0x46
ETIMEDOUT = 0x4C

# Exact values by situation (EFI, observed on the firmware: DEBIAN-12-BUILD.md §4)
COMMAND_NOT_FOUND = 0x2E022081
IMAGE_NOT_EXECUTABLE = 0x2E008081
ISEQ_FALSE = 0x46022085
ISSET_FALSE = 0x2D02208E
GOTO_NO_LABEL = 0x2D02808E
GOTO_NOT_IN_SCRIPT = 0x3D028083
REPLACE_NOT_IN_SCRIPT = 0x3D028083
UNTERMINATED_CONTINUATION = 0x1C028082
WRONG_ARGUMENT_COUNT = 0x46162085
HELP_REQUESTED = 0x0B162195
INVALID_INTEGER = 0x1C162182
UNKNOWN_OPTION = 0x1C162282
MISSING_ARGUMENT = 0x1C162382
SETTING_BAD_TYPE = 0x3C0C2083
SETTING_NO_BLOCK = 0x2C0C2087
SETTING_NOT_FOUND = 0x2D0C208E
STORE_INVALID = 0x1C0C2082
STORE_INVALID_IPV4 = 0x1C056082
STORE_INVALID_IPV6 = 0x1C066082  # ipv6.c (observed on every build: set b:ipv6 1::2::3)
STORE_INVALID_BASE64 = 0x1C102082  # base64.c (observed: set b:base64 !!!!)
STORE_INVALID_HEX = 0x1C112082  # src/core/base16.c (observed: set n:hex 1:2)
FORMAT_RANGE = 0x460C2085  # settings.c ERANGE: a uuid not 16 bytes long, an integer longer than a long
FORMAT_DNSSL_INVALID = 0x1C116082  # dns.c: a search list that does not decode (observed: show a:dnssl)
STORE_INVALID_UUID = 0x1C2A2082  # src/core/uuid.c: not 16 bytes (observed: set fy:guid 0102)
STORE_UNSUPPORTED = 0x3C0C2083
STORE_BUILTIN_OTHER = 0x3D0C2083
NO_SUCH_IMAGE = 0x2D0AE08E
NO_SUCH_MENU = 0x2D16208E
MENU_EMPTY = 0x2D2CE08E
CHOOSE_CANCELLED = 0x0B2CE095
PROMPT_CANCELLED = 0x0B22E095
PROMPT_TIMED_OUT = 0x4C22E092
READ_CANCELLED = 0x0B32E095
READ_TIMED_OUT = 0x4C32E092
SLEEP_CANCELLED = 0x0B022095
SCHEME_UNSUPPORTED = 0x3C092083
TFTP_NOT_BLOCK_DEVICE = 0x3F122083  # tftp.c: a SAN root path on TFTP (observed: sanboot a)
HTTP_NOT_FOUND = 0x2D0C618E
HTTP_FORBIDDEN = 0x410C618F
HTTP_UNAUTHORIZED = 0x020C618F
HTTP_CLIENT_ERROR = 0x1D0C6498
HTTP_SERVER_ERROR = 0x1D0C6598
HTTP_BAD_REDIRECT = 0x4F0C608A
TFTP_NOT_FOUND = 0x2D12608E
TFTP_ACCESS = 0x0212608F
FILE_NOT_FOUND = 0x2D1BE08E
CONNECTION_TIMED_OUT = 0x4C0C6092  # httpcore.c's idle watchdog (no data for 120 s)
# tcp.c: tcp_rx_rst, a refused port (the RST answering the SYN) is ECONNRESET (observed on debian-12-efi:
# `http://10.0.2.2:1/x.ipxe... Connection reset (http://ipxe.org/0f0a6095)`)
CONNECTION_RESET = 0x0F0A6095
CONNECT_TIMED_OUT = 0x4C0A6092  # tcp.c: tcp_expired, the SYN never answered
TFTP_TIMED_OUT = 0x4C126092  # tftp.c: tftp_timer_expired, no answer after its retries
# httpcore.c: http_close_transfer_identity, the connection closed before Content-Length bytes came
# (EIO_CONTENT_LENGTH, not in http_errors: strerror gives the generic text)
HTTP_CONTENT_LENGTH = 0x1D0C6298
DOWNLOAD_TIMED_OUT = 0x4C072092  # monojob_wait's --timeout (observed after ifclose)
DOWNLOAD_CANCELLED = 0x0B072095  # monojob_wait: Ctrl-C during a download (ECANCELED, monojob.c's file)
NETWORK_UNREACHABLE = 0x28086090
NO_NETWORK_DEVICE = 0x2C162087  # parseopt.c parse_netdev (observed: ifstat nosuch)
DHCP_FAILED = 0x4C16E092
NO_SUCH_CONFIGURATOR = 0x3C162083  # parseopt.c parse_netdev_configurator (observed: ENOTSUP)
NO_SUCH_PARAMS = 0x2D16208E  # parseopt.c parse_parameters (observed: param --params nosuch)
NO_SUCH_CERTIFICATE = 0x2D4FE08E  # cert_cmd.c (observed: certstat --subject nosuch)
CERT_NOT_PARSED = 0x3C00E083  # x509.c: a file that is no certificate (observed: certstore of text)
COLOUR_INVALID = 0x1C1E2082  # colour 9 (observed)
CPAIR_INVALID = 0x1C1D2082  # cpair 8 (observed)
USB_NONE = 0x2C074087  # usbscan with no USB device (observed on upstream ipxe.efi)
CPUID_FEATURE_ABSENT = 0x2D00008E
CPUID_FEATURE_ABSENT_UPSTREAM = (
    0x2D80E08E  # upstream gave cpuid_cmd.c an error file (observed: cpuid --ext 1)
)
PCI_NO_MORE_DEVICES = 0x2C044087  # pci.c's pci_find_next past the last device (observed: pciscan)
LOGIN_CANCELLED = 0x0B17E095
SAN_NO_DEVICE = 0x2C222087  # sanboot with no root path and nothing hooked (observed, EFI)
SAN_BIOS_DISK_FAILED = 0x1D852039  # the same on a BIOS build: INT 13 cannot boot drive 0x80 (observed)
TFTP_NOT_FOUND_UPSTREAM = 0x2D12618E  # upstream tftp.c: its own ENOENT, text "Not found" (observed)
DNS_NO_RECORD = 0x3E11618E  # dns.c: the name does not resolve (observed: https://example.invalid/)
TFTP_BAD_URI = 0x1C126082  # tftp.c: no host or no path (observed: imgfetch tftp://)
HTTP_BAD_URI = 0x1C416082  # httpcore.c: no host (observed: imgfetch http:files/x)
EFI_FILE_NOT_FOUND = 0x7F4DE18E  # upstream efi_local.c: text "Not found" (observed: file:///nosuch.efi)
EFI_FILE_NOT_OPENED = 0x7F4DE08E  # the 2019 efi_local.c: fails when opened (observed: the same)
VLAN_INVALID = 0x1C306082  # vlan.c: a tag or priority out of range (observed: vcreate --tag 4096)
VLAN_NOT_VLAN = 0x3D306083  # vlan.c ENOTTY: vdestroy of a device that is no VLAN (observed: net0)
NOT_SIMULATED = 0x3C000083
OUT_OF_MEMORY = 0x31000089

# Platform code (low byte) of each POSIX class, per platform (src/include/ipxe/errno/{efi,pcbios}.h).
_EFI_CODES = {
    EACCES: 0x8F,
    ECANCELED: 0x95,
    EINVAL: 0x82,
    EIO: 0x98,
    ENODEV: 0x87,
    ENOENT: 0x8E,
    ENOEXEC: 0x81,
    ENOMEM: 0x89,
    ENOTSUP: 0x83,
    ENOTTY: 0x83,
    EPERM: 0x8F,
    ERANGE: 0x85,
    ETIMEDOUT: 0x92,
    0x0F: 0x95,  # ECONNRESET: EFI_ABORTED (src/include/ipxe/errno/efi.h)
    0x28: 0x90,  # ENETUNREACH
    0x34: 0x89,  # ENOSPC
    0x38: 0x93,  # ENOTCONN: EFI_NOT_STARTED
}
# BIOS builds carry the closest PXENV_STATUS_* code (src/include/ipxe/errno/pcbios.h); these values
# are the ones ipxe.lkrn prints (tests/oracle/expected/pcbios/), the rest from the same table.
_PCBIOS_CODES = {
    EACCES: 0x3C,  # TFTP_ACCESS_VIOLATION
    ECANCELED: 0xA0,  # BINL_CANCELED_BY_KEYSTROKE (observed: help_usage)
    EINVAL: 0x02,  # BAD_FUNC (observed: bad_integer, bad_setting)
    EIO: 0x39,  # TFTP_CANNOT_READ_FROM_CONNECTION (observed: sanboot)
    ENODEV: 0x3B,  # TFTP_FILE_NOT_FOUND (observed: bad_setting)
    ENOENT: 0x3B,  # TFTP_FILE_NOT_FOUND (observed: bad_setting, errno_after_failure)
    ENOEXEC: 0x01,  # FAILURE (observed: errno_after_failure)
    ENOMEM: 0x06,  # OUT_OF_RESOURCES
    ENOTSUP: 0x03,  # UNSUPPORTED (observed: inc_on_string, imgfetch_missing)
    ENOTTY: 0x01,  # FAILURE
    EPERM: 0x3C,  # TFTP_ACCESS_VIOLATION
    ERANGE: 0x01,  # FAILURE
    ETIMEDOUT: 0x35,  # TFTP_READ_TIMEOUT
    0x0F: 0x39,  # ECONNRESET: TFTP_CANNOT_READ_FROM_CONNECTION
    0x28: 0x11,  # ENETUNREACH: ARP_TIMEOUT
    0x34: 0x06,  # ENOSPC: OUT_OF_RESOURCES
    0x38: 0x01,  # ENOTCONN: FAILURE
    0x3F: 0x03,  # EPROTONOSUPPORT: UNSUPPORTED (observed: sanboot of a TFTP root path)
}
PLATFORM_CODES = {"efi": _EFI_CODES, "pcbios": _PCBIOS_CODES}

# Generic error-table texts (src/hci/strerror.c; the same in 2019 and upstream)
GENERIC_TEXTS = {
    EACCES: "Permission denied",
    ECANCELED: "Operation canceled",
    0x0F: "Connection reset",
    EINVAL: "Invalid argument",
    EIO: "Input/output error",
    0x28: "Network unreachable",
    ENODEV: "No such device",
    ENOENT: "No such file or directory",
    ENOEXEC: "Exec format error",
    ENOMEM: "Not enough space",
    0x34: "No space left on device",
    0x38: "The socket is not connected",
    ENOTSUP: "Operation not supported",
    EPERM: "Operation not permitted",
    ERANGE: "Result too large",
    ETIMEDOUT: "Connection timed out",
}


def posix_class(status: int) -> int:
    return (status >> 24) & 0x7F


def for_platform(status: int, platform: str) -> int:
    """Rewrite the platform byte of an EFI error value for another platform."""
    if platform == "efi" or status < 0x01000000:
        return status
    code = PLATFORM_CODES.get(platform, _EFI_CODES).get(posix_class(status))
    if code is None:
        return status
    return (status & 0xFFFFFF00) | code


def strerror(
    status: int,
    platform: str = "efi",
    url_base: str = "https://ipxe.org",
    exact: dict[int, str] | None = None,
) -> str:
    """The text iPXE's strerror() gives: exact table entry, else the entry for the masked value, else
    ``Error 0x...``; then the ipxe.org link; cut to 63 characters like errbuf[64]."""
    status &= 0xFFFFFFFF
    text = (exact or {}).get(status)
    if text is None:
        masked = status & 0x7F0000FF
        codes = PLATFORM_CODES.get(platform, _EFI_CODES)
        posix = posix_class(masked)
        if posix in GENERIC_TEXTS and masked & 0xFF == codes.get(posix) and masked & 0x00FFFF00 == 0:
            text = GENERIC_TEXTS[posix]
    if text is None:
        text = f"Error 0x{status:08x}"
    return f"{text} ({url_base}/{status:08x})"[:63]


def errno_of_exit(value: int) -> int:
    """``exit N`` returns the unsigned N as an int; the caller stores -status when it is negative."""
    value &= 0xFFFFFFFF
    if value >= 0x80000000:
        return (0x100000000 - value) & 0xFFFFFFFF
    return value


class IpxeError(Exception):
    """A command failing with an iPXE status; ``message`` is what it prints (without the newline)."""

    def __init__(self, status: int, message: str | None = None) -> None:
        super().__init__(message or f"0x{status:08x}")
        self.status = status
        self.message = message
