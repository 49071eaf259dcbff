"""Basic znode operations: create modes, get/set/delete with versions, errors, data sizes."""

import pytest
from kazoo.exceptions import (
    BadArgumentsError,
    BadVersionError,
    NoChildrenForEphemeralsError,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
)

import zkwire
from helpers import catch_up


def test_create_persistent_and_get(zk, root):
    p = zk.create(f"{root}/a", b"hello")
    assert p == f"{root}/a"
    data, stat = zk.get(p)
    assert data == b"hello"
    assert stat.version == 0
    assert stat.dataLength == 5
    assert stat.ephemeralOwner == 0


def test_create_include_data_returns_stat(zk, root):
    p, stat = zk.create(f"{root}/a", b"xy", include_data=True)
    assert p == f"{root}/a"
    assert stat.czxid == stat.mzxid == stat.pzxid
    assert stat.dataLength == 2
    assert zk.exists(p) == stat


def test_create_existing_is_node_exists(zk, root):
    zk.create(f"{root}/a")
    with pytest.raises(NodeExistsError):
        zk.create(f"{root}/a", b"other")
    assert zk.get(f"{root}/a")[0] == b""


def test_create_without_parent_is_no_node(zk, root):
    with pytest.raises(NoNodeError):
        zk.create(f"{root}/missing/child")
    assert zk.exists(f"{root}/missing") is None


def test_create_makepath(zk, root):
    zk.create(f"{root}/x/y/z", b"deep", makepath=True)
    assert zk.get(f"{root}/x/y/z")[0] == b"deep"
    assert zk.get_children(f"{root}/x") == ["y"]


def test_ephemeral_belongs_to_session(zk, zk2, root):
    p = zk.create(f"{root}/e", b"x", ephemeral=True)
    catch_up(zk2, p)
    stat = zk2.exists(p)
    assert stat.ephemeralOwner == zk.client_id[0]
    assert stat.ephemeralOwner != zk2.client_id[0]


def test_ephemeral_cannot_have_children(zk, root):
    zk.create(f"{root}/e", ephemeral=True)
    with pytest.raises(NoChildrenForEphemeralsError):
        zk.create(f"{root}/e/child")


def test_get_missing_is_no_node(zk, root):
    with pytest.raises(NoNodeError):
        zk.get(f"{root}/nope")
    with pytest.raises(NoNodeError):
        zk.set(f"{root}/nope", b"x")
    with pytest.raises(NoNodeError):
        zk.delete(f"{root}/nope")
    with pytest.raises(NoNodeError):
        zk.get_children(f"{root}/nope")
    assert zk.exists(f"{root}/nope") is None


def test_set_with_versions(zk, root):
    p = zk.create(f"{root}/v", b"0")
    stat = zk.set(p, b"1", version=0)
    assert stat.version == 1
    stat = zk.set(p, b"2")  # -1: any version
    assert stat.version == 2
    with pytest.raises(BadVersionError):
        zk.set(p, b"stale", version=1)
    data, stat = zk.get(p)
    assert (data, stat.version) == (b"2", 2)
    stat = zk.set(p, b"3", version=2)
    assert stat.version == 3


def test_set_same_data_still_bumps_version_and_mzxid(zk, root):
    p, st0 = zk.create(f"{root}/v", b"same", include_data=True)
    st1 = zk.set(p, b"same")
    assert st1.version == 1
    assert st1.mzxid > st0.mzxid


def test_delete_with_version(zk, root):
    p = zk.create(f"{root}/d", b"x")
    zk.set(p, b"y")
    with pytest.raises(BadVersionError):
        zk.delete(p, version=0)
    assert zk.exists(p) is not None
    zk.delete(p, version=1)
    assert zk.exists(p) is None


def test_delete_non_empty(zk, root):
    zk.create(f"{root}/d/c", makepath=True)
    with pytest.raises(NotEmptyError):
        zk.delete(f"{root}/d")
    zk.delete(f"{root}/d/c")
    zk.delete(f"{root}/d")
    assert zk.exists(f"{root}/d") is None


def test_delete_checks_version_before_children(clients, root):
    """BADVERSION wins over NOTEMPTY: the version is checked first."""
    w = clients.wire()
    assert w.create(f"{root}/d")[0] == zkwire.OK
    assert w.create(f"{root}/d/c")[0] == zkwire.OK
    assert w.delete(f"{root}/d", version=5) == zkwire.BADVERSION
    assert w.delete(f"{root}/d", version=0) == zkwire.NOTEMPTY


def test_null_vs_empty_data(zk, root):
    """Null data (length -1 on the wire) is kept distinct from empty data."""
    zk.create(f"{root}/null", None)
    zk.create(f"{root}/empty", b"")
    data_null, st_null = zk.get(f"{root}/null")
    data_empty, st_empty = zk.get(f"{root}/empty")
    assert data_null is None
    assert data_empty == b""
    assert st_null.dataLength == 0 and st_empty.dataLength == 0
    zk.set(f"{root}/empty", None)
    assert zk.get(f"{root}/empty")[0] is None


def test_binary_data_roundtrip(zk, root):
    blob = bytes(range(256)) * 4
    zk.create(f"{root}/bin", blob)
    assert zk.get(f"{root}/bin")[0] == blob


def test_children_listing(zk, root):
    names = {"a", "b", "c-1", "z"}
    for n in names:
        zk.create(f"{root}/{n}", n.encode())
    zk.create(f"{root}/a/grandchild")
    assert set(zk.get_children(root)) == names
    assert zk.get_children(f"{root}/z") == []


def test_children_include_data(zk, root):
    for i in range(3):
        zk.create(f"{root}/c{i}")
    children, stat = zk.get_children(root, include_data=True)
    assert sorted(children) == ["c0", "c1", "c2"]
    assert stat.numChildren == 3
    assert stat == zk.exists(root)


# (path relative to the test root, error). The parent is looked up before the full path is
# validated, so a bad path under a missing parent answers NONODE (Apache 3.8 does exactly this).
INVALID_CREATES = [
    ("noslash", zkwire.BADARGUMENTS),
    ("", zkwire.BADARGUMENTS),
    ("/", zkwire.BADARGUMENTS),              # trailing slash, parent exists
    ("/.", zkwire.BADARGUMENTS),
    ("/..", zkwire.BADARGUMENTS),
    ("/x\u0001", zkwire.BADARGUMENTS),       # control character
    ("/x\u0000y", zkwire.BADARGUMENTS),      # NUL
    ("//x", zkwire.NONODE),                  # parent "<root>/" does not exist
    ("/./x", zkwire.NONODE),                 # parent "<root>/." does not exist
]


@pytest.mark.parametrize("rel,err", INVALID_CREATES, ids=[repr(p) for p, _ in INVALID_CREATES])
def test_invalid_create_paths(clients, root, rel, err):
    """The server checks paths itself (kazoo normalises them, so this uses the wire client)."""
    w = clients.wire()
    path = rel if rel in ("noslash", "") else root + rel
    assert w.create(path)[0] == err
    assert w.ping().err == zkwire.OK  # the connection stays usable


def test_create_root_and_zookeeper_are_node_exists(clients):
    w = clients.wire()
    assert w.create("/")[0] == zkwire.NODEEXISTS
    assert w.create("/zookeeper")[0] == zkwire.NODEEXISTS


@pytest.mark.parametrize("path", ["/", "/zookeeper", "/zookeeper/quota", "/zookeeper/config"])
def test_builtin_nodes_cannot_be_deleted(clients, path):
    w = clients.wire()
    assert w.delete(path) == zkwire.BADARGUMENTS


def test_reads_do_not_validate_paths(clients, root):
    """getData on a malformed path is just NONODE; exists rejects a NUL with BADARGUMENTS."""
    w = clients.wire()
    assert w.get_data(root + "/")[0] == zkwire.NONODE
    assert w.get_data(root + "/..")[0] == zkwire.NONODE
    assert w.get_data(root + "/a\u0000b")[0] == zkwire.NONODE
    assert w.exists(root + "/a\u0000b")[0] == zkwire.BADARGUMENTS
    assert w.delete(root + "/") == zkwire.NONODE


def test_sequential_with_trailing_slash_names_digits_only(clients, root):
    w = clients.wire()
    err, path, _ = w.create(root + "/", flags=zkwire.PERSISTENT_SEQUENTIAL)
    assert err == zkwire.OK
    assert path == root + "/0000000000"


def test_kazoo_bad_arguments_error_maps(zk, root):
    with pytest.raises(BadArgumentsError):
        zk.create(f"{root}/bad\u0001name")


def test_large_data_near_limit(zk, root):
    """A value of 1,000,000 bytes fits in one frame (limit 1,048,575 bytes) both ways."""
    big = bytes((i * 7) & 0xFF for i in range(1_000_000))
    zk.create(f"{root}/big", big)
    data, stat = zk.get(f"{root}/big")
    assert stat.dataLength == len(big)
    assert data == big
    zk.set(f"{root}/big", big[::-1])
    assert zk.get(f"{root}/big")[0] == big[::-1]


def test_frame_just_under_limit_is_accepted(clients, root):
    """A create whose frame is exactly 1,048,575 bytes (jute.maxbuffer) succeeds."""
    w = clients.wire()
    path = f"{root}/edge"
    fixed = 4 + 4 + (4 + len(path)) + 4 + 4 + (4 + 4 + 5 + 4 + 6) + 4  # xid,type,path,len,acl,flags
    data = b"e" * (0xFFFFF - fixed)
    payload = (zkwire.enc_int(1) + zkwire.enc_int(zkwire.CREATE) + zkwire.enc_string(path)
               + zkwire.enc_buffer(data) + zkwire.enc_acls(zkwire.OPEN_ACL) + zkwire.enc_int(0))
    assert len(payload) == 0xFFFFF
    w.send_frame(payload)
    rep = w.wait_reply(1, timeout=20)
    assert rep.err == zkwire.OK
    err, stat = w.exists(path)
    assert err == zkwire.OK and stat["data_length"] == len(data)


def test_too_large_frame_closes_connection(clients, zk, root):
    """A frame one byte over jute.maxbuffer makes the server close the connection unanswered."""
    w = clients.wire()
    path = f"{root}/huge"
    data = b"h" * 0x100000
    payload = (zkwire.enc_int(1) + zkwire.enc_int(zkwire.CREATE) + zkwire.enc_string(path)
               + zkwire.enc_buffer(data) + zkwire.enc_acls(zkwire.OPEN_ACL) + zkwire.enc_int(0))
    try:
        w.send_frame(payload)
    except OSError:
        pass  # the server may close while we are still writing
    assert w.wait_closed(timeout=10)
    assert not any(kind == "reply" and f.xid == 1 for kind, f in w.frames)
    assert zk.exists(path) is None


def test_negative_frame_length_closes_connection(clients):
    w = clients.wire()
    w.send_raw(zkwire.enc_int(-5))
    assert w.wait_closed(timeout=10)
