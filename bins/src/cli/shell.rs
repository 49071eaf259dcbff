//! One CLI session: a connected client, the console, and the tasks that print watch events.

use std::time::Duration;

use anyhow::Context as _;
use tokio::task::JoinHandle;
use zookeeper_client::{
    Acl, AddWatchMode, AuthId, Client, CreateMode, EventType, OneshotWatcher, Permission,
    PersistentWatcher, SessionState, WatchedEvent,
};

use super::acl::{format_acl, parse_acl};
use super::command::{full_usage, Command, ParseError, WatchMode};
use super::console::Console;
use super::format::{error_message, format_list, format_stat, tokenize};

/// What the shell does after a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    /// Read the next line.
    Continue,
    /// Leave the shell.
    Quit,
}

/// Result of one command: `Err(())` means a message was printed to stderr.
type CmdResult = Result<(), ()>;

/// A CLI session over one server.
pub struct Shell {
    server: String,
    client: Option<Client>,
    console: Console,
    tasks: Vec<JoinHandle<()>>,
    command_count: u64,
}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const SESSION_TIMEOUT: Duration = Duration::from_secs(30);

/// Connects with the CLI's settings (30 s session, 10 s connect timeout, failing eagerly).
pub(crate) async fn connect_client(server: &str) -> anyhow::Result<Client> {
    let connect = Client::connector()
        .with_session_timeout(SESSION_TIMEOUT)
        .with_connection_timeout(CONNECT_TIMEOUT)
        .with_fail_eagerly()
        .connect(server);
    tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .with_context(|| format!("timed out connecting to {server}"))?
        .with_context(|| format!("cannot connect to {server}"))
}

/// zkCli's text for a watch or session event.
pub(crate) fn format_event(event: &WatchedEvent) -> String {
    let kind = match event.event_type {
        EventType::Session => "None",
        EventType::NodeCreated => "NodeCreated",
        EventType::NodeDeleted => "NodeDeleted",
        EventType::NodeDataChanged => "NodeDataChanged",
        EventType::NodeChildrenChanged => "NodeChildrenChanged",
    };
    let path = if event.event_type == EventType::Session {
        "null"
    } else {
        event.path.as_str()
    };
    format!(
        "\nWATCHER::\n\nWatchedEvent state:{} type:{kind} path:{path}\n",
        state_name(event.session_state)
    )
}

fn state_name(state: SessionState) -> &'static str {
    match state {
        SessionState::Disconnected => "Disconnected",
        SessionState::SyncConnected => "SyncConnected",
        SessionState::AuthFailed => "AuthFailed",
        SessionState::ConnectedReadOnly => "ConnectedReadOnly",
        SessionState::Expired => "Expired",
        SessionState::Closed => "Closed",
    }
}

fn session_event(state: SessionState) -> WatchedEvent {
    WatchedEvent::new_session(state)
}

impl Shell {
    /// Connects to `server` (`host:port[,host:port...]`).
    pub async fn connect(server: &str, console: Console) -> anyhow::Result<Self> {
        let client = connect_client(server).await?;
        let mut shell = Self::offline(server, console);
        shell.attach(client);
        Ok(shell)
    }

    /// A shell that is not connected, as after `close`; `connect` connects it.
    pub fn offline(server: &str, console: Console) -> Self {
        Self {
            server: server.to_string(),
            client: None,
            console,
            tasks: Vec::new(),
            command_count: 0,
        }
    }

    fn attach(&mut self, client: Client) {
        let mut states = client.state_watcher();
        let console = self.console.clone();
        self.tasks.push(tokio::spawn(async move {
            loop {
                let state = states.changed().await;
                console.out(&format_event(&session_event(state)));
                if state.is_terminated() {
                    break;
                }
            }
        }));
        self.client = Some(client);
    }

    /// Prints the `SyncConnected` event zkCli shows when a shell starts.
    pub fn print_connected_event(&self) {
        self.console
            .out(&format_event(&session_event(SessionState::SyncConnected)));
    }

    /// The prompt, zkCli style: `[zk: host:port(CONNECTED) 3] `.
    pub fn prompt(&self) -> String {
        let state = match &self.client {
            Some(client) if client.state() == SessionState::SyncConnected => "CONNECTED",
            Some(_) => "CONNECTING",
            None => "CLOSED",
        };
        format!("[zk: {}({state}) {}] ", self.server, self.command_count)
    }

    /// Closes the session and stops the watch tasks. Prints zkCli's `Closed` event.
    pub fn close(&mut self) {
        if self.disconnect() {
            self.console
                .out(&format_event(&session_event(SessionState::Closed)));
        }
    }

    /// Closes the session and stops the watch tasks quietly; false if it was already closed.
    pub fn disconnect(&mut self) -> bool {
        for task in self.tasks.drain(..) {
            task.abort();
        }
        self.client.take().is_some()
    }

    /// Parses and runs one shell line. Blank lines and `#` comments do nothing.
    pub async fn execute_line(&mut self, line: &str) -> Flow {
        let words = tokenize(line);
        if words.is_empty() || words[0].starts_with('#') {
            return Flow::Continue;
        }
        self.command_count += 1;
        if words[0] == "help" {
            self.console.err_text(&full_usage());
            return Flow::Continue;
        }
        match Command::parse_words(&words) {
            Ok(cmd) => self.execute(cmd).await.unwrap_or(Flow::Continue),
            Err(ParseError::Usage(usage)) => {
                self.console.err_line(usage);
                Flow::Continue
            }
            Err(ParseError::UnknownCommand(name)) => {
                self.console.err_text(&full_usage());
                self.console
                    .err_line(&format!("Command not found: Command not found {name}"));
                Flow::Continue
            }
        }
    }

    /// Runs one command. `Err(())` when it failed (the message is already printed).
    pub async fn execute(&mut self, cmd: Command) -> Result<Flow, ()> {
        match cmd {
            Command::Quit => return Ok(Flow::Quit),
            Command::Close => self.close(),
            Command::Connect { server } => self.reconnect(server).await?,
            other => {
                let path = other.path().to_string();
                let client = self.client.clone().ok_or_else(|| {
                    self.console.err_line(&error_message(
                        &zookeeper_client::Error::ClientClosed,
                        &path,
                    ));
                })?;
                self.run_on(&client, other).await?;
            }
        }
        Ok(Flow::Continue)
    }

    async fn reconnect(&mut self, server: Option<String>) -> CmdResult {
        self.close();
        if let Some(server) = server {
            self.server = server;
        }
        match connect_client(&self.server).await {
            Ok(client) => {
                self.attach(client);
                self.print_connected_event();
                Ok(())
            }
            Err(err) => {
                self.console.err_line(&format!("{err:#}"));
                Err(())
            }
        }
    }

    async fn run_on(&mut self, client: &Client, cmd: Command) -> CmdResult {
        match cmd {
            Command::Ls {
                stat,
                recursive,
                watch,
                path,
            } => {
                if recursive {
                    self.ls_recursive(client, &path).await
                } else {
                    self.ls(client, &path, stat, watch).await
                }
            }
            Command::Get { stat, watch, path } => self.get(client, &path, stat, watch).await,
            Command::Set {
                stat,
                version,
                path,
                data,
            } => {
                let result = client.set_data(&path, data.as_bytes(), version).await;
                let new_stat = self.check(result, &path)?;
                self.print_stat_if(stat, &new_stat);
                Ok(())
            }
            Command::Create {
                ephemeral,
                sequential,
                container,
                ttl,
                path,
                data,
                acl,
            } => {
                let mode = create_mode(ephemeral, sequential, container);
                self.create(client, &path, mode, ttl, data.as_deref(), acl.as_deref())
                    .await
            }
            Command::Delete { version, path } => {
                let result = client.delete(&path, version).await;
                self.check(result, &path)
            }
            Command::Deleteall { path } => self.delete_all(client, &path).await,
            Command::Stat { watch, path } => self.stat(client, &path, watch).await,
            Command::GetAcl { stat, path } => {
                let (acls, node_stat) = self.check(client.get_acl(&path).await, &path)?;
                let text: String = acls.iter().map(format_acl).collect();
                self.console.out(&text);
                self.print_stat_if(stat, &node_stat);
                Ok(())
            }
            Command::SetAcl {
                stat,
                version,
                path,
                acl,
            } => self.set_acl(client, &path, &acl, version, stat).await,
            other => self.run_session_command(client, other).await,
        }
    }

    async fn run_session_command(&mut self, client: &Client, cmd: Command) -> CmdResult {
        match cmd {
            Command::Addauth { scheme, auth } => {
                let result = client.auth(&scheme, auth.as_bytes()).await;
                self.check(result, "null")
            }
            Command::Sync { path } => {
                self.check(client.sync(&path).await, &path)?;
                self.console.out("Sync is OK\n");
                Ok(())
            }
            Command::AddWatch { mode, path } => {
                let mode = match mode {
                    WatchMode::Persistent => AddWatchMode::Persistent,
                    WatchMode::PersistentRecursive => AddWatchMode::PersistentRecursive,
                };
                let watcher = self.check(client.watch(&path, mode).await, &path)?;
                self.spawn_persistent(watcher);
                Ok(())
            }
            Command::GetEphemerals { path } => {
                let path = path.unwrap_or_else(|| "/".to_string());
                let list = self.check(client.list_ephemerals(&path).await, &path)?;
                self.console.out(&format!("{}\n", format_list(&list)));
                Ok(())
            }
            Command::GetAllChildrenNumber { path } => {
                let count = self.check(client.count_descendants_number(&path).await, &path)?;
                self.console.out(&format!("{count}\n"));
                Ok(())
            }
            Command::Whoami => {
                let users = self.check(client.list_auth_users().await, "null")?;
                let mut text = String::from("Auth scheme: User\n");
                for user in users {
                    text.push_str(&format!("{}: {}\n", user.scheme(), user.user()));
                }
                self.console.out(&text);
                Ok(())
            }
            other => unreachable!("command {other:?} is handled by execute/run_on"),
        }
    }

    /// Prints the error for a failed operation and turns it into `Err(())`.
    fn check<T>(&self, result: Result<T, zookeeper_client::Error>, path: &str) -> Result<T, ()> {
        result.map_err(|err| self.console.err_line(&error_message(&err, path)))
    }

    fn print_stat_if(&self, print: bool, stat: &zookeeper_client::Stat) {
        if print {
            self.console.out(&format_stat(stat));
        }
    }

    fn spawn_oneshot(&mut self, watcher: OneshotWatcher) {
        let console = self.console.clone();
        self.tasks.push(tokio::spawn(async move {
            let event = watcher.changed().await;
            // Session events are printed by the state task.
            if event.event_type != EventType::Session {
                console.out(&format_event(&event));
            }
        }));
    }

    fn spawn_persistent(&mut self, mut watcher: PersistentWatcher) {
        let console = self.console.clone();
        self.tasks.push(tokio::spawn(async move {
            loop {
                let event = watcher.changed().await;
                if event.event_type != EventType::Session {
                    console.out(&format_event(&event));
                } else if event.session_state.is_terminated() {
                    break; // `changed` panics once the session has ended.
                }
            }
        }));
    }

    async fn ls(&mut self, client: &Client, path: &str, stat: bool, watch: bool) -> CmdResult {
        let (mut children, node_stat) = if watch {
            let (children, node_stat, watcher) =
                self.check(client.get_and_watch_children(path).await, path)?;
            self.spawn_oneshot(watcher);
            (children, node_stat)
        } else {
            self.check(client.get_children(path).await, path)?
        };
        children.sort();
        self.console.out(&format!("{}\n", format_list(&children)));
        self.print_stat_if(stat, &node_stat);
        Ok(())
    }

    /// `ls -R`: the path and every descendant, depth first, children in sorted order.
    async fn ls_recursive(&mut self, client: &Client, root: &str) -> CmdResult {
        let mut stack = vec![root.to_string()];
        while let Some(path) = stack.pop() {
            let mut children = self.check(client.list_children(&path).await, &path)?;
            self.console.out(&format!("{path}\n"));
            children.sort();
            for child in children.iter().rev() {
                stack.push(join_path(&path, child));
            }
        }
        Ok(())
    }

    async fn get(&mut self, client: &Client, path: &str, stat: bool, watch: bool) -> CmdResult {
        let (data, node_stat) = if watch {
            let (data, node_stat, watcher) =
                self.check(client.get_and_watch_data(path).await, path)?;
            self.spawn_oneshot(watcher);
            (data, node_stat)
        } else {
            self.check(client.get_data(path).await, path)?
        };
        self.console.out(&format!("{}\n", display_data(&data)));
        self.print_stat_if(stat, &node_stat);
        Ok(())
    }

    async fn stat(&mut self, client: &Client, path: &str, watch: bool) -> CmdResult {
        let node_stat = if watch {
            let (node_stat, watcher) = self.check(client.check_and_watch_stat(path).await, path)?;
            self.spawn_oneshot(watcher);
            node_stat
        } else {
            self.check(client.check_stat(path).await, path)?
        };
        let node_stat = self.check(node_stat.ok_or(zookeeper_client::Error::NoNode), path)?;
        self.console.out(&format_stat(&node_stat));
        Ok(())
    }

    async fn create(
        &mut self,
        client: &Client,
        path: &str,
        mode: CreateMode,
        ttl: Option<u64>,
        data: Option<&str>,
        acl: Option<&str>,
    ) -> CmdResult {
        let acls = match acl {
            Some(text) => self.parse_acl_or_warn(text),
            None => vec![Acl::new(Permission::ALL, AuthId::anyone())],
        };
        let mut options = mode.with_acls(acls.as_slice().into());
        if let Some(ttl) = ttl {
            options = options.with_ttl(Duration::from_millis(ttl));
        }
        let data = data.unwrap_or("").as_bytes();
        let (_, sequence) = self.check(client.create(path, data, &options).await, path)?;
        let created = if matches!(
            mode,
            CreateMode::PersistentSequential | CreateMode::EphemeralSequential
        ) {
            format!("{path}{sequence}")
        } else {
            path.to_string()
        };
        self.console.err_line(&format!("Created {created}"));
        Ok(())
    }

    fn parse_acl_or_warn(&self, text: &str) -> Vec<Acl> {
        let parsed = parse_acl(text);
        for warning in &parsed.warnings {
            self.console.err_line(warning);
        }
        parsed.acls
    }

    async fn set_acl(
        &mut self,
        client: &Client,
        path: &str,
        acl: &str,
        version: Option<i32>,
        stat: bool,
    ) -> CmdResult {
        let acls = self.parse_acl_or_warn(acl);
        if acls.is_empty() {
            // zkCli reports an ACL with no valid entry without a path.
            return self.check(Err(zookeeper_client::Error::InvalidAcl), "null");
        }
        let new_stat = self.check(client.set_acl(path, &acls, version).await, path)?;
        self.print_stat_if(stat, &new_stat);
        Ok(())
    }

    /// `deleteall`: deletes the subtree bottom up (children before parents).
    async fn delete_all(&mut self, client: &Client, root: &str) -> CmdResult {
        let mut order = Vec::new();
        let mut stack = vec![root.to_string()];
        while let Some(path) = stack.pop() {
            match client.list_children(&path).await {
                Ok(children) => stack.extend(children.iter().map(|child| join_path(&path, child))),
                Err(zookeeper_client::Error::NoNode) if path != root => continue,
                Err(err) => return self.check(Err(err), &path),
            }
            order.push(path);
        }
        for path in order.iter().rev() {
            match client.delete(path, None).await {
                Ok(()) => {}
                Err(zookeeper_client::Error::NoNode) if path != root => {}
                Err(err) => return self.check(Err(err), path),
            }
        }
        Ok(())
    }
}

impl Drop for Shell {
    fn drop(&mut self) {
        for task in self.tasks.drain(..) {
            task.abort();
        }
    }
}

fn create_mode(ephemeral: bool, sequential: bool, container: bool) -> CreateMode {
    match (ephemeral, sequential, container) {
        (_, _, true) => CreateMode::Container,
        (true, true, _) => CreateMode::EphemeralSequential,
        (true, false, _) => CreateMode::Ephemeral,
        (false, true, _) => CreateMode::PersistentSequential,
        (false, false, _) => CreateMode::Persistent,
    }
}

fn join_path(parent: &str, child: &str) -> String {
    zoorepl_core::tree::path::join(parent, child)
}

/// zkCli prints `null` for a znode without data; the client cannot tell empty from null.
fn display_data(data: &[u8]) -> String {
    if data.is_empty() {
        "null".to_string()
    } else {
        String::from_utf8_lossy(data).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn offline_shell_reports_usage_and_connection_loss() {
        let (console, captured) = Console::capture();
        let mut shell = Shell::offline("127.0.0.1:1", console);
        assert_eq!(shell.prompt(), "[zk: 127.0.0.1:1(CLOSED) 0] ");
        assert_eq!(shell.execute_line("  # comment").await, Flow::Continue);
        assert_eq!(shell.execute_line("get").await, Flow::Continue);
        assert_eq!(shell.execute_line("get /a").await, Flow::Continue);
        assert_eq!(shell.execute_line("close").await, Flow::Continue);
        assert_eq!(shell.execute_line("quit").await, Flow::Quit);
        assert_eq!(
            captured.take(),
            "get [-s] [-w] path\nKeeperErrorCode = ConnectionLoss for /a\n",
            "close on a closed shell prints nothing"
        );
        assert_eq!(shell.prompt(), "[zk: 127.0.0.1:1(CLOSED) 4] ");
        shell.execute_line("frobnicate /a").await;
        let text = captured.take();
        assert!(
            text.starts_with("ZooKeeper -server host:port cmd args\n\taddWatch"),
            "{text}"
        );
        assert!(
            text.ends_with("\twhoami \nCommand not found: Command not found frobnicate\n"),
            "{text}"
        );
    }

    #[test]
    fn events_print_like_zkcli() {
        let event = WatchedEvent::new(EventType::NodeDataChanged, "/a");
        assert_eq!(
            format_event(&event),
            "\nWATCHER::\n\nWatchedEvent state:SyncConnected type:NodeDataChanged path:/a\n"
        );
        assert_eq!(
            format_event(&session_event(SessionState::Expired)),
            "\nWATCHER::\n\nWatchedEvent state:Expired type:None path:null\n"
        );
        assert_eq!(display_data(b""), "null");
        assert_eq!(join_path("/", "a"), "/a");
        assert_eq!(join_path("/a", "b"), "/a/b");
        assert_eq!(
            create_mode(true, true, false),
            CreateMode::EphemeralSequential
        );
        assert_eq!(create_mode(false, false, true), CreateMode::Container);
    }
}
