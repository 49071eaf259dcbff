"""Stat fields and the built-in /zookeeper nodes."""

import pytest
from kazoo.exceptions import NoAuthError
from kazoo.security import ACL, Id

import zkwire


def test_stat_after_create(zk, root):
    p, st = zk.create(f"{root}/n", b"abc", include_data=True)
    assert st.czxid == st.mzxid == st.pzxid
    assert st.ctime == st.mtime
    assert (st.version, st.cversion, st.aversion) == (0, 0, 0)
    assert st.ephemeralOwner == 0
    assert st.dataLength == 3
    assert st.numChildren == 0


def test_stat_child_create_and_delete(zk, root):
    p, st0 = zk.create(f"{root}/n", b"abc", include_data=True)
    _, cst = zk.create(f"{p}/c1", include_data=True)
    st1 = zk.exists(p)
    assert st1.pzxid == cst.czxid
    assert st1.cversion == 1
    assert st1.numChildren == 1
    # a child change touches neither data version nor mzxid of the parent
    assert (st1.version, st1.mzxid, st1.mtime) == (0, st0.mzxid, st0.mtime)

    zk.delete(f"{p}/c1")
    st2 = zk.exists(p)
    assert st2.cversion == 2, "cversion counts child deletes as well as creates"
    assert st2.numChildren == 0
    assert st2.pzxid > st1.pzxid


def test_stat_set_data(zk, root):
    p, st0 = zk.create(f"{root}/n", b"abc", include_data=True)
    st1 = zk.set(p, b"longer data")
    assert st1.version == 1
    assert st1.mzxid > st0.mzxid
    assert st1.czxid == st0.czxid
    assert st1.pzxid == st0.pzxid, "setData does not move pzxid"
    assert st1.mtime >= st0.mtime
    assert st1.ctime == st0.ctime
    assert st1.dataLength == len(b"longer data")


def test_stat_set_acl_bumps_aversion_only(zk, root):
    p, st0 = zk.create(f"{root}/n", b"abc", include_data=True)
    st1 = zk.set_acls(p, [ACL(31, Id("world", "anyone"))])
    assert st1.aversion == 1
    assert (st1.version, st1.mzxid, st1.cversion) == (0, st0.mzxid, 0)


def test_zxids_increase_with_each_write(zk, root):
    zxids = []
    for i in range(5):
        _, st = zk.create(f"{root}/z{i}", include_data=True)
        zxids.append(st.czxid)
    assert zxids == sorted(zxids) and len(set(zxids)) == 5


def test_ephemeral_owner_is_session_id(zk, root):
    _, st = zk.create(f"{root}/e", ephemeral=True, include_data=True)
    assert st.ephemeralOwner == zk.client_id[0]
    assert st.ephemeralOwner != 0


def test_reply_zxid_is_last_processed_zxid(clients, root):
    """ReplyHeader.zxid is the server's last zxid, for reads as well as writes."""
    w = clients.wire()
    err, _, st = w.create(f"{root}/n")
    assert err == zkwire.OK
    rep = w.call(zkwire.GET_DATA, zkwire.enc_string(f"{root}/n") + zkwire.enc_bool(False))
    assert rep.err == zkwire.OK
    assert rep.zxid >= st["czxid"]


def test_zookeeper_builtin_nodes(zk):
    children = zk.get_children("/zookeeper")
    assert set(children) >= {"quota", "config"}
    assert "zookeeper" in zk.get_children("/")
    data, st = zk.get("/zookeeper")
    assert st.czxid == 0 and st.ctime == 0
    assert st.cversion == -2, "built-in children were never 'created': 2*0 - 2"
    assert st.numChildren == 2


def test_zookeeper_config_is_read_only_world(zk):
    acls, _ = zk.get_acls("/zookeeper/config")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(1, "world", "anyone")]
    data, _ = zk.get("/zookeeper/config")
    assert data in (b"", None) or b"server." in data  # empty when standalone


def test_zookeeper_quota_open(zk):
    acls, _ = zk.get_acls("/zookeeper/quota")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(31, "world", "anyone")]


def test_root_stat(zk, root):
    st = zk.exists("/")
    assert st.czxid == 0 and st.ctime == 0 and st.ephemeralOwner == 0
    assert st.numChildren >= 2  # /zookeeper and the suite's /compat
    acls, _ = zk.get_acls("/")
    assert [(a.perms, a.id.scheme, a.id.id) for a in acls] == [(31, "world", "anyone")]


def test_cannot_write_config(zk):
    """/zookeeper/config is world:anyone:r, so setData is NOAUTH (reconfig is the only writer)."""
    with pytest.raises(NoAuthError):
        zk.set("/zookeeper/config", b"x")
    with pytest.raises(NoAuthError):
        zk.create("/zookeeper/config/child")
