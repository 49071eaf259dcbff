"""Per-session FIFO: pipelined requests are answered in order and reads see the session's writes."""

import zkwire
from zkwire import enc_bool, enc_buffer, enc_int, enc_string


def test_pipelined_replies_come_back_in_request_order(clients, root):
    """20 mixed requests sent before reading any reply: replies carry the xids in order, and
    each read reflects exactly the writes sent before it."""
    w = clients.wire()
    p = f"{root}/n"
    create = enc_string(p) + enc_buffer(b"0") + zkwire.enc_acls(zkwire.OPEN_ACL) + enc_int(0)
    xids = [w.submit(zkwire.CREATE, create)]
    expect = {}
    for i in range(1, 10):
        xids.append(w.submit(zkwire.SET_DATA, enc_string(p) + enc_buffer(str(i).encode()) + enc_int(-1)))
        x = w.submit(zkwire.GET_DATA, enc_string(p) + enc_bool(False))
        xids.append(x)
        expect[x] = str(i).encode()
    xids.append(w.submit(zkwire.DELETE, enc_string(p) + enc_int(9)))
    got = []
    while len(got) < len(xids):
        f = w._read_one(10)  # noqa: SLF001 - raw frame order is the point of this test
        if isinstance(f, zkwire.Reply):
            got.append(f)
    assert [r.xid for r in got] == xids
    assert all(r.err == zkwire.OK for r in got), [(r.xid, r.err) for r in got if r.err]
    zxids = [r.zxid for r in got]
    assert zxids == sorted(zxids), "reply zxids never go backwards on one connection"
    for r in got:
        if r.xid in expect:
            data = r.reader().buffer()
            assert data == expect[r.xid]


def test_kazoo_async_read_your_writes(zk, root):
    p = f"{root}/n"
    zk.create(p, b"start")
    sets = [zk.set_async(p, str(i).encode()) for i in range(50)]
    get = zk.get_async(p)
    versions = [s.get(timeout=10).version for s in sets]
    data, stat = get.get(timeout=10)
    assert versions == list(range(1, 51))
    assert (data, stat.version) == (b"49", 50)


def test_many_children_listing(zk, root):
    """500 children with 150-byte names: one getChildren reply of about 77 KB."""
    base = zk.create(f"{root}/many")
    names = {f"{i:04d}-" + "x" * 145 for i in range(500)}
    for chunk in range(0, 500, 100):
        t = zk.transaction()
        for name in sorted(names)[chunk:chunk + 100]:
            t.create(f"{base}/{name}")
        assert not any(isinstance(r, Exception) for r in t.commit())
    children, stat = zk.get_children(base, include_data=True)
    assert set(children) == names
    assert stat.numChildren == 500 and stat.cversion == 500
