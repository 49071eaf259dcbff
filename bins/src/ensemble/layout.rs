//! Planning, writing and reading back the directories and zoo.cfg files of a local ensemble.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, TcpListener};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use zoorepl_core::ids::ServerId;
use zoorepl_io::config::{PeerType, ServerConfig};

use super::extra_config;
use super::{
    EnsembleOptions, Member, MemberKind, PortChoice, INIT_LIMIT_TICKS, MEMBERS_MAX,
    SYNC_LIMIT_TICKS,
};

/// The largest `tickTime` zoo.cfg parsing accepts, ms.
const TICK_MS_MAX: u32 = 600_000;

/// Rejects options no layout can have.
pub(super) fn check_options(options: &EnsembleOptions) -> anyhow::Result<()> {
    if options.servers == 0 {
        bail!("an ensemble needs at least one voting server (servers = 0)");
    }
    let total = options.servers.saturating_add(options.observers);
    if total > MEMBERS_MAX {
        bail!(
            "{} servers and {} observers make {total} members; at most {MEMBERS_MAX} fit \
             (zoo.cfg server ids stop at 126)",
            options.servers,
            options.observers
        );
    }
    if options.tick_ms == 0 || options.tick_ms > TICK_MS_MAX {
        bail!(
            "tick of {} ms is out of range (1 to {TICK_MS_MAX} ms)",
            options.tick_ms
        );
    }
    extra_config::check(&options.extra_config)
}

/// The members of `options` under `dir`, with their ports.
pub(super) fn plan(dir: &Path, options: &EnsembleOptions) -> anyhow::Result<Vec<Member>> {
    let total = options.servers + options.observers;
    let ports = match options.ports {
        PortChoice::Bases {
            client,
            quorum,
            election,
        } => port_ranges(total, [client, quorum, election])?,
        PortChoice::Ephemeral => free_ports(total)?,
    };
    let members: Vec<Member> = ports
        .into_iter()
        .enumerate()
        .map(|(i, [client_port, quorum_port, election_port])| {
            let n = u64::try_from(i + 1).expect("at most MEMBERS_MAX members");
            Member {
                id: ServerId(n),
                kind: if i < options.servers {
                    MemberKind::Voter
                } else {
                    MemberKind::Observer
                },
                client_port,
                quorum_port,
                election_port,
                dir: dir.join(format!("server-{n}")),
            }
        })
        .collect();
    check_distinct_ports(&members)?;
    Ok(members)
}

/// Member i (from 0) gets `base + i` for each of the three bases.
fn port_ranges(total: usize, bases: [u16; 3]) -> anyhow::Result<Vec<[u16; 3]>> {
    const NAMES: [&str; 3] = ["client", "quorum", "election"];
    let mut out = Vec::with_capacity(total);
    for i in 0..total {
        let offset = u16::try_from(i).expect("at most MEMBERS_MAX members");
        let mut ports = [0; 3];
        for (k, base) in bases.into_iter().enumerate() {
            if base == 0 {
                bail!("the {} port base must not be 0", NAMES[k]);
            }
            ports[k] = base.checked_add(offset).with_context(|| {
                format!(
                    "{} port base {base} + {total} members runs past 65535",
                    NAMES[k]
                )
            })?;
        }
        out.push(ports);
    }
    Ok(out)
}

/// Three ports per member that the OS reports free. All listeners are held until every port is
/// chosen, so no port is handed out twice; another process may still take one before a server
/// binds it, which tests accept.
fn free_ports(total: usize) -> anyhow::Result<Vec<[u16; 3]>> {
    let mut held = Vec::with_capacity(total * 3);
    let mut out = Vec::with_capacity(total);
    for _ in 0..total {
        let mut ports = [0; 3];
        for port in &mut ports {
            let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
                .context("asking the OS for a free port on 127.0.0.1")?;
            *port = listener
                .local_addr()
                .context("reading a bound port")?
                .port();
            held.push(listener);
        }
        out.push(ports);
    }
    Ok(out)
}

fn check_distinct_ports(members: &[Member]) -> anyhow::Result<()> {
    let mut seen: BTreeMap<u16, String> = BTreeMap::new();
    for m in members {
        let uses = [
            (m.client_port, "client"),
            (m.quorum_port, "quorum"),
            (m.election_port, "election"),
        ];
        for (port, what) in uses {
            let this = format!("the {what} port of server {}", m.id.0);
            if let Some(other) = seen.insert(port, this.clone()) {
                bail!("port {port} would be both {other} and {this}; choose other port bases");
            }
        }
    }
    Ok(())
}

/// Refuses to write over an earlier layout whose members differ: its data belongs to another
/// ensemble, and its extra members would linger in `stop` and `status`.
pub(super) fn refuse_other_members(dir: &Path, members: &[Member]) -> anyhow::Result<()> {
    for (id, path) in member_dirs(dir)? {
        if !members.iter().any(|m| m.id == id) {
            bail!(
                "{} holds {} from an earlier layout with more members; remove that directory \
                 or choose another one",
                dir.display(),
                path.display()
            );
        }
    }
    Ok(())
}

/// The `server-N` directories under `dir`, by id (none when `dir` does not exist).
pub(super) fn member_dirs(dir: &Path) -> anyhow::Result<BTreeMap<ServerId, PathBuf>> {
    let mut out = BTreeMap::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e).with_context(|| format!("listing {}", dir.display())),
    };
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let name = entry.file_name();
        let id = name
            .to_str()
            .and_then(|n| n.strip_prefix("server-"))
            .and_then(|n| n.parse::<u64>().ok());
        if let Some(id) = id {
            if entry.path().is_dir() {
                out.insert(ServerId(id), entry.path());
            }
        }
    }
    Ok(out)
}

/// Writes every member's directories, zoo.cfg and myid.
pub(super) fn write(members: &[Member], options: &EnsembleOptions) -> anyhow::Result<()> {
    for m in members {
        let data = m.data_dir();
        std::fs::create_dir_all(&data)
            .with_context(|| format!("creating {} (is it writable?)", data.display()))?;
        let text = zoo_cfg(m, members, options)?;
        let cfg = m.config_path();
        std::fs::write(&cfg, text).with_context(|| format!("writing {}", cfg.display()))?;
        write_myid(m)?;
    }
    Ok(())
}

/// Writes `DIR/server-N/data/myid`.
pub(super) fn write_myid(m: &Member) -> anyhow::Result<()> {
    let path = m.data_dir().join("myid");
    std::fs::write(&path, format!("{}\n", m.id.0))
        .with_context(|| format!("writing {}", path.display()))
}

/// One member's zoo.cfg.
fn zoo_cfg(m: &Member, all: &[Member], options: &EnsembleOptions) -> anyhow::Result<String> {
    let data = m.data_dir();
    let data = data
        .to_str()
        .with_context(|| format!("{} is not UTF-8, which zoo.cfg needs", data.display()))?;
    // zoo.cfg is a Java properties file: a backslash starts an escape.
    let data = data.replace('\\', "\\\\");
    let mut text = format!(
        "# Written by `zoorepl ensemble`: server {} ({}) of a local ensemble of {} voters and \
         {} observers.\n",
        m.id.0,
        m.kind.as_str(),
        options.servers,
        options.observers
    );
    let tick = options.tick_ms;
    let client = m.client_port;
    for line in [
        format!("tickTime={tick}"),
        format!("initLimit={INIT_LIMIT_TICKS}"),
        format!("syncLimit={SYNC_LIMIT_TICKS}"),
        format!("dataDir={data}"),
        format!("clientPort={client}"),
        "clientPortAddress=127.0.0.1".to_owned(),
        "4lw.commands.whitelist=*".to_owned(),
    ] {
        text.push_str(&line);
        text.push('\n');
    }
    if m.kind == MemberKind::Observer {
        // Java also wants an observer told in its own file, not only by its server.N line.
        text.push_str("peerType=observer\n");
    }
    extra_config::append(&mut text, &options.extra_config);
    for other in all {
        let suffix = match other.kind {
            MemberKind::Voter => "",
            MemberKind::Observer => ":observer",
        };
        let (id, quorum, election) = (other.id.0, other.quorum_port, other.election_port);
        writeln!(text, "server.{id}=127.0.0.1:{quorum}:{election}{suffix}")
            .expect("write to String");
    }
    Ok(text)
}

/// Reads the members back from each `server-N/zoo.cfg` and `myid` under `dir`.
pub(super) fn read(dir: &Path) -> anyhow::Result<Vec<Member>> {
    let dirs = member_dirs(dir)?;
    if dirs.is_empty() {
        bail!(
            "{} holds no zoorepl ensemble (no server-N directory)",
            dir.display()
        );
    }
    dirs.into_iter()
        .map(|(id, path)| read_member(id, path))
        .collect()
}

fn read_member(id: ServerId, dir: PathBuf) -> anyhow::Result<Member> {
    let cfg = dir.join("zoo.cfg");
    let (config, _warnings) =
        ServerConfig::from_file(&cfg).with_context(|| format!("reading {}", cfg.display()))?;
    let myid_path = config.data_dir.join("myid");
    let myid = std::fs::read_to_string(&myid_path)
        .with_context(|| format!("reading {}", myid_path.display()))?;
    if myid.trim() != id.0.to_string() {
        bail!(
            "{} says {:?} but its directory is server-{}",
            myid_path.display(),
            myid.trim(),
            id.0
        );
    }
    let spec = config
        .ensemble
        .servers
        .get(&id)
        .with_context(|| format!("{} has no server.{} line", cfg.display(), id.0))?;
    let client_port = config
        .client_port
        .with_context(|| format!("{} sets no clientPort", cfg.display()))?;
    let kind = match spec.peer_type {
        PeerType::Participant => MemberKind::Voter,
        PeerType::Observer => MemberKind::Observer,
        PeerType::Publisher => bail!(
            "{}: server.{} is a publisher, which local ensembles do not lay out",
            cfg.display(),
            id.0
        ),
    };
    Ok(Member {
        id,
        kind,
        client_port,
        quorum_port: spec.quorum_port,
        election_port: spec.election_port,
        dir,
    })
}
