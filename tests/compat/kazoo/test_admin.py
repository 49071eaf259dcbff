"""Four-letter words, sync, and the newer read ops (getEphemerals, getAllChildrenNumber)."""

import re

import pytest

import zkwire
from helpers import catch_up, server_of


def mntr(server):
    out = zkwire.four_letter(server, "mntr")
    pairs = {}
    for line in out.splitlines():
        if "\t" in line:
            k, v = line.split("\t", 1)
            pairs[k] = v
    return pairs


def test_ruok_via_kazoo(zk):
    assert zk.command(b"ruok") == "imok"


def modes(ensemble):
    """What srvr/mntr may report: a member of an ensemble is its leader or a learner."""
    return ("leader", "follower", "observer") if ensemble else ("standalone",)


def test_srvr_via_kazoo(zk, ensemble):
    out = zk.command(b"srvr")
    assert out.startswith("Zookeeper version: ")
    assert re.search(r"^Mode: (\w+)$", out, re.M).group(1) in modes(ensemble)
    assert re.search(r"^Zxid: 0x[0-9a-f]+$", out, re.M)
    assert re.search(r"^Node count: \d+$", out, re.M)
    assert re.search(r"^Connections: \d+$", out, re.M)


def test_kazoo_server_version_from_envi(zk):
    """kazoo's server_version() parses `zookeeper.version=` out of the envi word."""
    version = zk.server_version()
    assert version is not None and len(version) >= 2
    assert version >= (3, 5)


def test_mntr_fields(server, ensemble):
    m = mntr(server)
    for key in ("zk_version", "zk_server_state", "zk_znode_count", "zk_ephemerals_count",
                "zk_num_alive_connections", "zk_outstanding_requests", "zk_watch_count",
                "zk_avg_latency", "zk_max_latency", "zk_min_latency", "zk_packets_received",
                "zk_packets_sent", "zk_approximate_data_size", "zk_open_file_descriptor_count"):
        assert key in m, f"mntr lacks {key}"
    assert m["zk_server_state"] in modes(ensemble)
    assert int(m["zk_znode_count"]) >= 4


def test_mntr_counts_follow_the_tree(server, zk, root):
    """Counted on zk's own server, which has applied zk's writes when it answers them."""
    at = server_of(zk, server)
    before = mntr(at)
    zk.create(f"{root}/n1")
    zk.create(f"{root}/n2", ephemeral=True)
    after = mntr(at)
    assert int(after["zk_znode_count"]) - int(before["zk_znode_count"]) == 2
    assert int(after["zk_ephemerals_count"]) - int(before["zk_ephemerals_count"]) == 1


def test_srvr_zxid_and_node_count(server, zk, root):
    _, st = zk.create(f"{root}/n", include_data=True)
    out = zkwire.four_letter(server_of(zk, server), "srvr")
    zxid = int(re.search(r"^Zxid: (0x[0-9a-f]+)$", out, re.M).group(1), 16)
    assert zxid >= st.czxid


def test_isro_rw(server):
    assert zkwire.four_letter(server, "isro") == "rw"


def test_conf_has_client_port_and_tick(server):
    asked = zkwire.next_server(server)
    out = zkwire.four_letter(asked, "conf")
    port = asked.rpartition(":")[2]
    assert re.search(rf"^clientPort={port}$", out, re.M)
    assert re.search(r"^tickTime=\d+$", out, re.M)
    assert re.search(r"^maxSessionTimeout=\d+$", out, re.M)


def test_stat_and_cons_list_connections(server, zk):
    """Apache lists every connection, the four-letter word's own too, so a server without
    clients (another member of an ensemble than zk's) lists one."""
    out = zkwire.four_letter(server, "stat")
    assert out.startswith("Zookeeper version: ")
    assert "Clients:" in out
    assert re.search(r"^ /127\.0\.0\.1:\d+\[", out, re.M)
    cons = zkwire.four_letter(server, "cons")
    assert re.search(r"^ /127\.0\.0\.1:\d+\[", cons, re.M)


def test_wchs_counts_watches(server, clients, zk, root):
    w = clients.wire()
    p = zk.create(f"{root}/w")
    catch_up(w, p)
    before = zkwire.four_letter(w.hostport, "wchs")  # watches are counted where they are set
    assert w.get_data(p, watch=True)[0] == zkwire.OK
    after = zkwire.four_letter(w.hostport, "wchs")
    total = lambda s: int(re.search(r"Total watches:(\d+)", s).group(1))  # noqa: E731
    assert total(after) == total(before) + 1


def test_unknown_four_letter_word_gets_nothing(server):
    assert zkwire.four_letter(server, "xyzw") == ""


def test_sync_returns_path(zk, root):
    assert zk.sync(root) == root


def test_sync_does_not_check_the_path(clients):
    """sync echoes the path even when no such node exists."""
    w = clients.wire()
    assert w.sync("/no/such/node") == (zkwire.OK, "/no/such/node")
    assert w.sync("/") == (zkwire.OK, "/")


def test_sync_then_read_sees_other_clients_write(zk, zk2, root):
    zk2.create(f"{root}/n", b"v")
    zk.sync(f"{root}/n")
    assert zk.get(f"{root}/n")[0] == b"v"


def test_get_ephemerals_lists_only_own_by_string_prefix(clients, root):
    a, b = clients.wire(), clients.wire()
    for p in (f"{root}/e1", f"{root}/e2", f"{root}/ex"):
        assert a.create(p, flags=zkwire.EPHEMERAL)[0] == zkwire.OK
    assert b.create(f"{root}/other", flags=zkwire.EPHEMERAL)[0] == zkwire.OK
    err, got = a.get_ephemerals(f"{root}/e")
    assert err == zkwire.OK
    assert sorted(got) == [f"{root}/e1", f"{root}/e2", f"{root}/ex"]
    err, got = a.get_ephemerals(f"{root}/e1")
    assert got == [f"{root}/e1"]
    assert sorted(a.get_ephemerals("/")[1]) == [f"{root}/e1", f"{root}/e2", f"{root}/ex"]
    assert b.get_ephemerals("/")[1] == [f"{root}/other"]
    assert a.get_ephemerals(f"{root}/zzz") == (zkwire.OK, [])


def test_get_all_children_number(clients, zk, root):
    zk.create(f"{root}/a/b/c", makepath=True)
    zk.create(f"{root}/a/d")
    zk.create(f"{root}/e")
    w = clients.wire()
    assert w.get_all_children_number(root) == (zkwire.OK, 5)
    assert w.get_all_children_number(f"{root}/a/b/c") == (zkwire.OK, 0)
    assert w.get_all_children_number(f"{root}/missing")[0] == zkwire.NONODE
    def count(path):
        kids = zk.get_children(path)
        return len(kids) + sum(count(f"{path.rstrip('/')}/{k}") for k in kids)

    assert w.get_all_children_number("/zookeeper") == (zkwire.OK, count("/zookeeper"))


@pytest.mark.parametrize("word", ["envi", "dump"])
def test_other_words_answer(server, word):
    assert zkwire.four_letter(server, word).strip() != ""
