//! Per-connection tasks: a reader that frames bytes into requests, and a writer that sends the
//! batches the node task hands it.
//!
//! Bad input ends only its own connection: a negative or oversized length, a silent client
//! past the handshake timeout, or any read error closes this socket and nothing else.

use std::net::SocketAddr;

use crate::net::{ReadHalf, WriteHalf};
use bytes::{Buf, Bytes, BytesMut};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use zoorepl_core::ids::ConnId;
use zoorepl_core::proto::split_frame;

use super::{Event, PerIp, ServerOptions};

/// Messages to a connection's writer.
#[derive(Debug)]
pub(super) enum WriterMsg {
    /// Bytes to write (one or more whole frames).
    Data(Bytes),
    /// Write what came before, then close.
    Close,
}

/// The writer's inbox. Bounded: a client that does not read its replies is disconnected.
pub(super) type WriterTx = mpsc::Sender<WriterMsg>;

/// Capacity of a writer's inbox, in batches.
const WRITER_BATCHES_MAX: usize = 1024;
/// Initial read buffer; grows up to the frame limit.
const READ_BUFFER_BYTES: usize = 64 * 1024;

/// Starts the reader and writer of a new connection.
pub(super) fn spawn(
    stream: TcpStream,
    peer: SocketAddr,
    conn: ConnId,
    events: mpsc::Sender<Event>,
    options: ServerOptions,
    per_ip: PerIp,
) {
    let _ = stream.set_nodelay(true);
    let (read, write) = crate::net::split(stream);
    let (writer_tx, writer_rx) = mpsc::channel(WRITER_BATCHES_MAX);
    let reader = tokio::spawn(async move {
        let _slot = PerIpSlot {
            per_ip,
            ip: peer.ip(),
        };
        let outcome = read_loop(read, peer, conn, &events, &options, writer_tx).await;
        if let Err(why) = outcome {
            tracing::debug!("connection {peer} closed: {why}");
        }
        let _ = events.send(Event::Closed { conn }).await;
    });
    tokio::spawn(write_loop(write, writer_rx, reader.abort_handle()));
}

/// Gives the connection's slot back to its IP when the reader ends, however it ends.
struct PerIpSlot {
    per_ip: PerIp,
    ip: std::net::IpAddr,
}

impl Drop for PerIpSlot {
    fn drop(&mut self) {
        let mut map = self.per_ip.lock().expect("per-ip map is never poisoned");
        if let Some(count) = map.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

async fn read_more(read: &mut ReadHalf, buf: &mut BytesMut) -> Result<(), String> {
    if buf.capacity() - buf.len() < 4096 {
        buf.reserve(READ_BUFFER_BYTES);
    }
    match read.read_buf(buf).await {
        Ok(0) => Err("end of stream".into()),
        Ok(_) => Ok(()),
        Err(e) => Err(format!("read: {e}")),
    }
}

async fn read_loop(
    mut read: ReadHalf,
    peer: SocketAddr,
    conn: ConnId,
    events: &mpsc::Sender<Event>,
    options: &ServerOptions,
    writer: WriterTx,
) -> Result<(), String> {
    let mut buf = BytesMut::with_capacity(READ_BUFFER_BYTES);
    let first = tokio::time::timeout(options.handshake_timeout, async {
        while buf.len() < 4 {
            read_more(&mut read, &mut buf).await?;
        }
        Ok::<(), String>(())
    });
    first
        .await
        .map_err(|_| "no handshake in time".to_owned())??;
    let head: [u8; 4] = buf[..4].try_into().expect("four bytes read");
    if let Some(cmd) = crate::fourlw::FourLetter::parse(head) {
        return four_letter(cmd, peer, events, writer).await;
    }
    events
        .send(Event::Opened {
            conn,
            peer,
            writer: writer.clone(),
        })
        .await
        .map_err(|_| "server stopping")?;
    let mut handshaken = false;
    loop {
        while let Some((payload_len, used)) = next_frame(&buf, options.max_frame_len)? {
            let mut frame = buf.split_to(used);
            frame.advance(used - payload_len);
            handshaken = true;
            let frame = frame.freeze();
            events
                .send(Event::Frame { conn, frame })
                .await
                .map_err(|_| "server stopping")?;
        }
        if handshaken {
            read_more(&mut read, &mut buf).await?;
        } else {
            let more =
                tokio::time::timeout(options.handshake_timeout, read_more(&mut read, &mut buf));
            more.await
                .map_err(|_| "no handshake in time".to_owned())??;
        }
    }
}

/// The length of the next complete frame's payload and the bytes it uses, if one is complete.
fn next_frame(buf: &[u8], max: usize) -> Result<Option<(usize, usize)>, String> {
    match split_frame(buf, max) {
        Ok(Some((payload, used))) => Ok(Some((payload.len(), used))),
        Ok(None) => Ok(None),
        Err(e) => Err(format!("bad frame: {e}")),
    }
}

async fn four_letter(
    cmd: crate::fourlw::FourLetter,
    peer: SocketAddr,
    events: &mpsc::Sender<Event>,
    writer: WriterTx,
) -> Result<(), String> {
    let (reply, answer) = oneshot::channel();
    events
        .send(Event::FourLetter { cmd, peer, reply })
        .await
        .map_err(|_| "server stopping")?;
    let text = answer.await.map_err(|_| "server stopping")?;
    let _ = writer.send(WriterMsg::Data(Bytes::from(text))).await;
    let _ = writer.send(WriterMsg::Close).await;
    Err("four-letter word answered".into())
}

/// Writes batches until told to close (then stops the reader too: the node has forgotten the
/// connection) or until the socket fails.
async fn write_loop(
    mut write: WriteHalf,
    mut rx: mpsc::Receiver<WriterMsg>,
    reader: tokio::task::AbortHandle,
) {
    let mut batch = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut close = false;
        let mut next = Some(first);
        while let Some(msg) = next {
            match msg {
                WriterMsg::Data(bytes) => batch.push(bytes),
                WriterMsg::Close => {
                    close = true;
                    break;
                }
            }
            next = rx.try_recv().ok();
        }
        for bytes in batch.drain(..) {
            if write.write_all(&bytes).await.is_err() {
                return;
            }
        }
        // A no-op on a real socket; madsim's holds writes until flushed.
        if write.flush().await.is_err() {
            return;
        }
        if close {
            let _ = write.shutdown().await;
            reader.abort();
            return;
        }
    }
}
