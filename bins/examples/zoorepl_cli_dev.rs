//! Development stand-in for the `zoorepl` binary's CLI and bench wiring (the real binary is
//! `bins/src/bin/zoorepl.rs`, owned elsewhere). Usage:
//! `cargo run -p zoorepl --example zoorepl_cli_dev -- -s 127.0.0.1:2181 [get /a | bench ...]`.

use clap::{Parser, Subcommand};
use zoorepl::{bench, cli};

/// zoorepl CLI and bench (development stand-in for the `zoorepl` binary).
#[derive(Parser)]
struct Args {
    #[command(flatten)]
    shell: cli::ShellArgs,
    #[command(subcommand)]
    command: Option<Top>,
}

#[derive(Subcommand)]
enum Top {
    /// Load generator.
    Bench(bench::BenchArgs),
    #[command(flatten)]
    Cli(cli::Command),
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    match args.command {
        Some(Top::Cli(cmd)) => {
            std::process::exit(cli::run_one_shot(&args.shell.server, cmd).await?)
        }
        Some(Top::Bench(bench_args)) => bench::run_and_print(bench_args).await.map(drop),
        None => cli::run_shell(&args.shell.server).await,
    }
}
