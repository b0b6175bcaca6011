import threading

from studio.core.mailbox import LatestSlot


def test_latest_wins_and_counts_drops():
    slot: LatestSlot[int] = LatestSlot()
    assert slot.put(1) is False
    assert slot.put(2) is True  # 1 was never taken
    assert slot.dropped == 1
    assert slot.get(timeout=0) == 2
    assert slot.get(timeout=0) is None  # nothing newer
    assert slot.peek() == 2  # peek still sees the newest
    slot.put(3)
    assert slot.dropped == 1  # 2 had been taken: replacing it is not a drop
    assert slot.sequence == 3


def test_get_wakes_on_put_from_another_thread():
    slot: LatestSlot[str] = LatestSlot()
    got = []
    t = threading.Thread(target=lambda: got.append(slot.get(timeout=5)))
    t.start()
    slot.put("x")
    t.join(5)
    assert got == ["x"]


def test_close_wakes_waiters():
    slot: LatestSlot[str] = LatestSlot()
    got = []
    t = threading.Thread(target=lambda: got.append(slot.get(timeout=10)))
    t.start()
    slot.close()
    t.join(5)
    assert not t.is_alive() and got == [None]


def test_wait_until_returns_the_wanted_item_or_the_newest_when_it_is_late():
    slot: LatestSlot[int] = LatestSlot()
    assert slot.wait_until(lambda v: v >= 5, 0.0) is None  # empty, late: nothing
    slot.put(3)
    assert slot.wait_until(lambda v: v >= 5, 0.0) == 3  # late: the newest there is
    got = []
    t = threading.Thread(target=lambda: got.append(slot.wait_until(lambda v: v >= 5, 10.0)))
    t.start()
    slot.put(4)  # not wanted yet: the waiter keeps waiting
    slot.put(5)
    t.join(5)
    assert got == [5]
    assert slot.get(timeout=0) == 5  # waiting consumed nothing


def test_wait_until_wakes_on_close():
    slot: LatestSlot[int] = LatestSlot()
    got = []
    t = threading.Thread(target=lambda: got.append(slot.wait_until(lambda v: True, 10.0)))
    t.start()
    slot.close()
    t.join(5)
    assert not t.is_alive() and got == [None]
