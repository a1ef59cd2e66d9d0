"""The boot server: protocol modules (dhcp/, tftp/, http) that ask a boot policy what to answer."""
