"""multi (kazoo transactions): all-or-nothing, errors per op, one zxid; multiRead."""

import pytest
from kazoo.exceptions import (
    BadVersionError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    RolledBackError,
    RuntimeInconsistency,
)

import zkwire
from zkwire import enc_acls, enc_bool, enc_buffer, enc_int, enc_string


def test_transaction_success_applies_all_with_one_zxid(zk, root):
    t = zk.transaction()
    t.create(f"{root}/a", b"1")
    t.create(f"{root}/a/b", b"2")  # sees the create before it
    t.set_data(f"{root}/a", b"3")
    t.check(f"{root}/a", 1)
    results = t.commit()
    assert results[0] == f"{root}/a"
    assert results[1] == f"{root}/a/b"
    assert results[2].version == 1
    assert results[3] is True
    sa, sb = zk.exists(f"{root}/a"), zk.exists(f"{root}/a/b")
    assert sa.czxid == sb.czxid == sa.mzxid, "every op of a multi shares one zxid"
    assert zk.get(f"{root}/a")[0] == b"3"


def test_transaction_failure_changes_nothing(zk, root):
    zk.create(f"{root}/keep", b"orig")
    t = zk.transaction()
    t.create(f"{root}/new", b"x")
    t.set_data(f"{root}/keep", b"changed")
    t.set_data(f"{root}/missing", b"boom")
    t.delete(f"{root}/keep")
    results = t.commit()
    assert isinstance(results[0], RolledBackError)
    assert isinstance(results[1], RolledBackError)
    assert isinstance(results[2], NoNodeError)
    assert isinstance(results[3], RuntimeInconsistency)
    assert zk.exists(f"{root}/new") is None
    data, st = zk.get(f"{root}/keep")
    assert (data, st.version) == (b"orig", 0)
    assert zk.exists(root).cversion == 1


@pytest.mark.parametrize("case", ["badversion", "exists", "notempty"])
def test_transaction_error_kinds(zk, root, case):
    zk.create(f"{root}/n/c", makepath=True)
    before = zk.exists(root)
    t = zk.transaction()
    t.create(f"{root}/first")
    if case == "badversion":
        t.check(f"{root}/n", 7)
        exc = BadVersionError
    elif case == "exists":
        t.create(f"{root}/n")
        exc = NodeExistsError
    else:
        t.delete(f"{root}/n")
        exc = NotEmptyError
    results = t.commit()
    assert isinstance(results[0], RolledBackError)
    assert isinstance(results[1], exc)
    assert zk.exists(f"{root}/first") is None
    assert zk.exists(root) == before


def test_transaction_delete_then_recreate(zk, root):
    zk.create(f"{root}/n", b"old")
    t = zk.transaction()
    t.delete(f"{root}/n")
    t.create(f"{root}/n", b"new")
    results = t.commit()
    assert results == [True, f"{root}/n"]
    data, st = zk.get(f"{root}/n")
    assert (data, st.version) == (b"new", 0)


def test_transaction_sequential_create(zk, root):
    t = zk.transaction()
    t.create(f"{root}/s-", sequence=True)
    t.create(f"{root}/s-", sequence=True)
    assert t.commit() == [f"{root}/s-0000000000", f"{root}/s-0000000001"]


# ---- exact wire results -------------------------------------------------------------------

def multi_body(ops):
    out = b""
    for op, rec in ops:
        out += enc_int(op) + enc_bool(False) + enc_int(-1) + rec
    return out + enc_int(-1) + enc_bool(True) + enc_int(-1)


def create_rec(path, data=b"", flags=0):
    return enc_string(path) + enc_buffer(data) + enc_acls(zkwire.OPEN_ACL) + enc_int(flags)


def read_results(rep):
    r = rep.reader()
    out = []
    while True:
        typ, done, err = r.int(), r.bool(), r.int()
        if done:
            return out, r.remaining()
        if typ == -1:
            out.append((typ, err, r.int()))
        elif typ == zkwire.CREATE:
            out.append((typ, err, r.string()))
        elif typ == zkwire.CREATE2:
            out.append((typ, err, r.string(), r.stat()))
        elif typ == zkwire.SET_DATA:
            out.append((typ, err, r.stat()))
        elif typ == zkwire.GET_DATA:
            out.append((typ, err, r.buffer(), r.stat()))
        elif typ == zkwire.GET_CHILDREN:
            out.append((typ, err, r.strings()))
        else:
            out.append((typ, err))


def test_multi_wire_success_result_types(clients, root):
    w = clients.wire()
    rep = w.call(zkwire.MULTI, multi_body([
        (zkwire.CREATE, create_rec(f"{root}/a")),
        (zkwire.CREATE2, create_rec(f"{root}/b")),
        (zkwire.SET_DATA, enc_string(f"{root}/a") + enc_buffer(b"x") + enc_int(0)),
        (zkwire.CHECK, enc_string(f"{root}/a") + enc_int(1)),
        (zkwire.DELETE, enc_string(f"{root}/b") + enc_int(0)),
    ]))
    assert rep.err == zkwire.OK
    res, rest = read_results(rep)
    assert rest == 0
    # create2 inside multi: Apache 3.8.0 answers a plain create result (type 1, path only);
    # later releases answer type 15 with the Stat. Both are accepted here.
    assert [r[:2] for r in res] in (
        [(1, 0), (15, 0), (5, 0), (13, 0), (2, 0)],
        [(1, 0), (1, 0), (5, 0), (13, 0), (2, 0)],
    )
    assert res[0][2] == f"{root}/a" and res[1][2] == f"{root}/b"
    if res[1][0] == 15:
        assert res[1][3]["czxid"] == res[2][2]["mzxid"]


def test_multi_wire_failure_codes(clients, root):
    """Failed multi: header err 0; every result is an error entry (type -1): ops before the
    failure carry 0, the failing op its code, ops after it -2 (RUNTIMEINCONSISTENCY)."""
    w = clients.wire()
    rep = w.call(zkwire.MULTI, multi_body([
        (zkwire.CREATE, create_rec(f"{root}/a")),
        (zkwire.CHECK, enc_string(f"{root}/missing") + enc_int(0)),
        (zkwire.CREATE, create_rec(f"{root}/b")),
    ]))
    assert rep.err == zkwire.OK
    res, rest = read_results(rep)
    assert rest == 0
    assert res == [(-1, 0, 0), (-1, zkwire.NONODE, zkwire.NONODE), (-1, -2, -2)]
    assert w.exists(f"{root}/a")[0] == zkwire.NONODE


def test_multi_empty(clients):
    w = clients.wire()
    rep = w.call(zkwire.MULTI, multi_body([]))
    assert rep.err == zkwire.OK
    assert read_results(rep) == ([], 0)


def test_multi_read(clients, zk, root):
    zk.create(f"{root}/a", b"data")
    zk.create(f"{root}/a/k")
    w = clients.wire()
    rep = w.call(zkwire.MULTI_READ, multi_body([
        (zkwire.GET_DATA, enc_string(f"{root}/a") + enc_bool(False)),
        (zkwire.GET_CHILDREN, enc_string(f"{root}/a") + enc_bool(False)),
        (zkwire.GET_DATA, enc_string(f"{root}/missing") + enc_bool(False)),
        (zkwire.GET_CHILDREN, enc_string(f"{root}") + enc_bool(False)),
    ]))
    assert rep.err == zkwire.OK
    res, rest = read_results(rep)
    assert rest == 0
    assert res[0][:3] == (zkwire.GET_DATA, 0, b"data")
    assert res[1] == (zkwire.GET_CHILDREN, 0, ["k"])
    assert res[2] == (-1, zkwire.NONODE, zkwire.NONODE), "multiRead is not atomic: one op fails alone"
    assert res[3] == (zkwire.GET_CHILDREN, 0, ["a"])


def test_check_alone_is_unimplemented_and_closes(clients, root, apache_version):
    """check (13) is only valid inside multi; alone, 3.8.x releases after 3.8.0 and 3.9.3+
    answer UNIMPLEMENTED and close the connection."""
    if apache_version == (3, 8, 0):
        pytest.skip("Apache 3.8.0 never answers a lone check request (it is swallowed); "
                    "the connection stays up and the client hangs until its own timeout")
    w = clients.wire()
    rep = w.call(zkwire.CHECK, enc_string(root) + enc_int(0))
    assert rep.err == zkwire.UNIMPLEMENTED
    assert w.wait_closed(5)


@pytest.mark.parametrize("op", [0, 10, 99, 2000])
def test_unknown_opcode_is_unimplemented_and_closes(clients, op):
    w = clients.wire()
    rep = w.call(op, b"")
    assert rep.err == zkwire.UNIMPLEMENTED
    assert w.wait_closed(5)
