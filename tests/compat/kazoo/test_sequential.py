"""Sequential nodes: suffix format, the parent's counter, and ordering under concurrency."""

import threading

from helpers import catch_up, make_kazoo


def seq_of(name):
    return int(name[-10:])


def test_sequential_suffix_format(zk, root):
    p = zk.create(f"{root}/job-", b"x", sequence=True)
    assert p == f"{root}/job-0000000000"
    p = zk.create(f"{root}/job-", sequence=True)
    assert p == f"{root}/job-0000000001"


def test_counter_counts_every_child_create_not_just_sequential(zk, root):
    zk.create(f"{root}/plain1")
    zk.create(f"{root}/plain2", ephemeral=True)
    assert zk.create(f"{root}/s-", sequence=True) == f"{root}/s-0000000002"


def test_counter_never_goes_back_after_deletes(zk, root):
    a = zk.create(f"{root}/s-", sequence=True)
    b = zk.create(f"{root}/s-", sequence=True)
    zk.delete(a)
    zk.delete(b)
    c = zk.create(f"{root}/s-", sequence=True)
    assert seq_of(c) == 2
    assert zk.exists(root).cversion == 5  # 3 creates + 2 deletes


def test_counter_is_per_parent_and_shared_by_prefixes(zk, root):
    zk.create(f"{root}/p1")
    zk.create(f"{root}/p2")
    assert zk.create(f"{root}/p1/x-", sequence=True) == f"{root}/p1/x-0000000000"
    assert zk.create(f"{root}/p1/y-", sequence=True) == f"{root}/p1/y-0000000001"
    assert zk.create(f"{root}/p2/x-", sequence=True) == f"{root}/p2/x-0000000000"


def test_failed_create_does_not_advance_counter(zk, root):
    zk.create(f"{root}/taken")
    try:
        zk.create(f"{root}/taken")
    except Exception:  # noqa: BLE001 - NodeExists expected
        pass
    assert seq_of(zk.create(f"{root}/s-", sequence=True)) == 1


def test_ephemeral_sequential(zk, zk2, root):
    p = zk.create(f"{root}/lock-", ephemeral=True, sequence=True)
    assert p == f"{root}/lock-0000000000"
    catch_up(zk2, p)
    assert zk2.exists(p).ephemeralOwner == zk.client_id[0]
    zk.stop()
    zk.close()
    catch_up(zk2, p)
    assert zk2.exists(p) is None
    # the counter survives the ephemeral's removal
    assert zk2.create(f"{root}/lock-", ephemeral=True, sequence=True) == f"{root}/lock-0000000001"


def test_sequential_unique_and_dense_under_concurrency(server, root):
    """8 clients x 25 sequential creates under one parent: 200 distinct, gap-free numbers,
    increasing in each client's own issue order."""
    nclients, per = 8, 25
    results = [[] for _ in range(nclients)]
    errors = []
    clients = [make_kazoo(server, timeout=10.0) for _ in range(nclients)]
    for c in clients:
        c.start(timeout=15)
    barrier = threading.Barrier(nclients)

    def worker(i):
        try:
            barrier.wait()
            asyncs = [clients[i].create_async(f"{root}/n-", str(i).encode(), sequence=True)
                      for _ in range(per)]
            results[i] = [a.get(timeout=20) for a in asyncs]
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(nclients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for c in clients:
        c.stop()
        c.close()
    assert not errors
    all_seqs = [seq_of(p) for r in results for p in r]
    assert sorted(all_seqs) == list(range(nclients * per))
    for r in results:
        seqs = [seq_of(p) for p in r]
        assert seqs == sorted(seqs), "a session's pipelined creates must be applied in order"
