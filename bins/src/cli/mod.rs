//! The `zoorepl` CLI: a zkCli-like interactive shell and the same commands one-shot
//! (`zoorepl -s host:port get /a`), speaking the ZooKeeper protocol through `zookeeper-client`,
//! so it works against zoorepld and Apache ZooKeeper alike.
//!
//! Wiring into the `zoorepl` binary: flatten [`ShellArgs`] into the top-level parser, put
//! `#[command(flatten)] Cli(cli::Command)` into its subcommand enum, then call
//! [`run_one_shot`] for a command (exit with the returned code) or [`run_shell`] for none.
//! The tokio runtime must be running (zookeeper-client spawns its session task on it).
//! `bins/examples/zoorepl_cli_dev.rs` is a working example of this wiring:
//!
//! ```text
//! #[derive(clap::Parser)]
//! struct Args {
//!     #[command(flatten)]
//!     shell: cli::ShellArgs,                 // -s/--server host:port
//!     #[command(subcommand)]
//!     command: Option<Top>,
//! }
//! #[derive(clap::Subcommand)]
//! enum Top {
//!     Bench(bench::BenchArgs),               // zoorepl bench --op set ...
//!     #[command(flatten)]
//!     Cli(cli::Command),                     // zoorepl -s h:p get /a
//! }
//! match args.command {
//!     Some(Top::Cli(cmd)) => std::process::exit(cli::run_one_shot(&args.shell.server, cmd).await?),
//!     Some(Top::Bench(b)) => { bench::run_and_print(b).await?; }
//!     None => cli::run_shell(&args.shell.server).await?,
//! }
//! ```
//!
//! Output follows Apache ZooKeeper 3.8's zkCli: data, lists and stats on stdout; `Created /a`,
//! warnings and errors on stderr; watch events as `WATCHER::` blocks on stdout.

mod acl;
mod command;
mod console;
mod format;
mod shell;
pub(crate) use shell::connect_client;

pub use acl::{format_acl, parse_acl, perm_string, ParsedAcl};
pub use command::{full_usage, usage, Command, ParseError, WatchMode};
pub use console::{Captured, Console};
pub use format::{error_message, format_list, format_stat, java_date, tokenize};
pub use shell::{Flow, Shell};

use std::io::IsTerminal;

use tokio::io::{AsyncBufRead, AsyncBufReadExt};

/// Default server when `-s` is not given.
pub const DEFAULT_SERVER: &str = "127.0.0.1:2181";

/// Top-level CLI options (flatten into the `zoorepl` parser).
#[derive(Debug, Clone, clap::Args)]
pub struct ShellArgs {
    /// ZooKeeper server, `host:port` (a comma-separated list is accepted).
    #[arg(short = 's', long = "server", default_value = DEFAULT_SERVER)]
    pub server: String,
}

/// Runs one command against `server`, printing as zkCli does. Returns the process exit code:
/// 0 on success, 1 when the command failed. Connection failures are errors.
pub async fn run_one_shot(server: &str, cmd: Command) -> anyhow::Result<i32> {
    let mut shell = Shell::connect(server, Console::stdio()).await?;
    let outcome = shell.execute(cmd).await;
    shell.disconnect();
    Ok(match outcome {
        Ok(_) => 0,
        Err(()) => 1,
    })
}

/// Runs the interactive shell on stdin/stdout until `quit` or end of input. A prompt is shown
/// only when stdin is a terminal, so piped scripts give clean output.
pub async fn run_shell(server: &str) -> anyhow::Result<()> {
    let prompt = std::io::stdin().is_terminal();
    let stdin = tokio::io::BufReader::new(tokio::io::stdin());
    run_shell_with(server, stdin, Console::stdio(), prompt).await
}

/// Runs the shell over any line source and console (used by tests and by [`run_shell`]).
pub async fn run_shell_with<R: AsyncBufRead + Unpin>(
    server: &str,
    input: R,
    console: Console,
    prompt: bool,
) -> anyhow::Result<()> {
    console.out(&format!("Connecting to {server}\n"));
    let mut shell = Shell::connect(server, console.clone()).await?;
    console.out("Welcome to zoorepl!\n");
    shell.print_connected_event();
    let mut lines = input.lines();
    loop {
        if prompt {
            console.out(&shell.prompt());
        }
        let Some(line) = lines.next_line().await? else {
            break;
        };
        if shell.execute_line(&line).await == Flow::Quit {
            break;
        }
    }
    shell.close();
    Ok(())
}
