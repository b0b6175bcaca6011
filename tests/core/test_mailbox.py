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
