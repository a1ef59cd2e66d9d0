"""The lease store picks the address free longest without scanning (a list of never-used addresses and a
heap of used ones, with stale entries skipped): after any sequence of decisions its pick is the one a
scan of every address would make, and no address is held by two clients."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ipxescript.serve.dhcp.leases import NEVER_USED, LeaseStore, int_to_ip

POOL = ("10.7.0.10", "10.7.0.17")
MACS = [f"52:54:00:00:00:{i:02x}" for i in range(12)]
ADDRESSES = [f"10.7.0.{i}" for i in range(8, 20)]  # the pool and a little outside it

operations = st.lists(
    st.tuples(
        st.sampled_from(["offer", "bind", "release", "decline", "withdraw", "wait"]),
        st.sampled_from(MACS),
        st.sampled_from(ADDRESSES),
        st.integers(0, 90),  # seconds the clock moves on before the operation
    ),
    max_size=40,
)


def scanned_choice(store: LeaseStore) -> int | None:
    """What the free-address structures must agree with: the lowest (free from, address) that is free now."""
    now = store.clock()
    free = [(key, value) for value, key in store._free_at.items() if key <= now or key == NEVER_USED]
    return min(free)[1] if free else None


@settings(max_examples=150, deadline=None)
@given(operations, st.booleans())
def test_the_pick_is_what_a_scan_would_pick(steps: list[tuple[str, str, str, int]], reserve: bool) -> None:
    now = [1000.0]
    store = LeaseStore(
        None,
        *POOL,
        reservations={MACS[0]: "10.7.0.12"} if reserve else {},
        excluded={"10.7.0.11"},
        clock=lambda: now[0],
    )
    for operation, mac, ip, wait in steps:
        now[0] += wait
        if operation == "offer":
            requested = ip if wait % 2 else None
            expected = store.choose(mac, requested)  # RFC 2131 4.3.1 order, without holding anything
            offer = store.offer(mac, requested)
            assert (offer.ip if offer else None) == expected
        elif operation == "bind":
            store.bind(ip, mac, 120, None, renewing=wait % 3 == 0)
        elif operation == "release":
            store.release(ip, mac)
        elif operation == "decline":
            store.decline(ip, mac, 60)
        elif operation == "withdraw":
            store.withdraw_offer(mac, ip)
        pick = store._first_free()
        assert pick == scanned_choice(store)
        holders = [lease.mac for lease in store.by_ip.values() if lease.active(now[0]) and lease.mac]
        assert len(holders) == len(set(holders))  # no client holds two addresses
        if pick is not None:  # the pick is held by no lease and no live offer
            lease, offer = store.by_ip.get(int_to_ip(pick)), store.offers.get(int_to_ip(pick))
            assert lease is None or not lease.active(now[0])
            assert offer is None or offer[1] <= now[0]
    store.close()
