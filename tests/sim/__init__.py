"""Tests of the simulator (ipxesim)."""
