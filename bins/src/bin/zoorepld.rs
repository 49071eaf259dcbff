//! `zoorepld [zoo.cfg]`: the zoorepl server. With no argument it runs standalone on embedded
//! defaults (127.0.0.1:2181, data in ./zoorepl-data). Exit codes: see `zoorepl::daemon`.

/// mimalloc rather than glibc's malloc: a restart allocates a million small nodes at once, and
/// glibc spent a quarter of it in its free lists (docs/perf/standalone-2026-11-22-session5.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ZOOREPL_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    // A panic is a bug: end the whole process (a supervisor restarts it and recovery runs),
    // rather than leave it up with a dead node task.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default_hook(info);
        eprintln!("zoorepld: internal error (a bug): exiting");
        std::process::exit(zoorepl::daemon::EXIT_BUG);
    }));
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: zoorepld [zoo.cfg]\n\nWith no file, runs standalone on 127.0.0.1:2181 with data in ./zoorepl-data.");
        return;
    }
    let path = zoorepl::daemon::config_path_from_args(&args);
    let outcome = zoorepl::daemon::load_config(path.as_deref()).and_then(|config| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("starting the tokio runtime");
        let outcome = runtime.block_on(zoorepl::daemon::run(config));
        // The runtime is not dropped: that would free the data tree node by node (0.6 s with a
        // million znodes) for a process about to end, with everything acknowledged on disk.
        std::mem::forget(runtime);
        outcome
    });
    match outcome {
        Ok(()) => std::process::exit(0),
        Err(fatal) => {
            eprintln!("zoorepld: {}", fatal.message);
            std::process::exit(fatal.code);
        }
    }
}
