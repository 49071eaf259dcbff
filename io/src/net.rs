//! What differs between real tokio and madsim's simulation of it (`--cfg madsim`, DESIGN.md §6):
//! madsim's `TcpStream` cannot be split into owned halves, and madsim has no blocking threads.

use tokio::net::TcpStream;

/// The read half of a TCP connection.
#[cfg(not(madsim))]
pub(crate) type ReadHalf = tokio::net::tcp::OwnedReadHalf;
/// The write half of a TCP connection.
#[cfg(not(madsim))]
pub(crate) type WriteHalf = tokio::net::tcp::OwnedWriteHalf;
/// The read half of a TCP connection.
#[cfg(madsim)]
pub(crate) type ReadHalf = tokio::io::ReadHalf<TcpStream>;
/// The write half of a TCP connection.
#[cfg(madsim)]
pub(crate) type WriteHalf = tokio::io::WriteHalf<TcpStream>;

/// Splits a connection into halves that two tasks can own.
pub(crate) fn split(stream: TcpStream) -> (ReadHalf, WriteHalf) {
    #[cfg(not(madsim))]
    return stream.into_split();
    #[cfg(madsim)]
    return tokio::io::split(stream);
}

/// Runs CPU-bound `f` off the async workers; `None` if it panicked. Under madsim, which has no
/// blocking threads, it runs right here.
pub(crate) async fn blocking<F, R>(f: F) -> Option<R>
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    #[cfg(not(madsim))]
    return tokio::task::spawn_blocking(f).await.ok();
    #[cfg(madsim)]
    return Some(f());
}
