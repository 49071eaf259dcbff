//! The Prometheus endpoint: `GET /metrics` on the metrics port answers the text exposition
//! format; anything else gets 404. One request per connection, bounded in size and time.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};

use super::Event;

/// Largest request head read.
const REQUEST_BYTES_MAX: usize = 8 * 1024;

pub(super) async fn serve(listener: TcpListener, events: mpsc::Sender<Event>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let events = events.clone();
        tokio::spawn(async move {
            let answer = tokio::time::timeout(Duration::from_secs(5), answer(stream, events));
            if let Ok(Err(e)) = answer.await {
                tracing::debug!("metrics request failed: {e}");
            }
        });
    }
}

async fn answer(mut stream: TcpStream, events: mpsc::Sender<Event>) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < REQUEST_BYTES_MAX {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|b| *b == b'\n').next().unwrap_or_default();
    let wanted = line.starts_with(b"GET /metrics ") || line.starts_with(b"GET /metrics?");
    let (status, body) = if wanted {
        let (reply, text) = oneshot::channel();
        let sent = events.send(Event::Metrics { reply }).await;
        match (sent, text.await) {
            (Ok(()), Ok(text)) => ("200 OK", text),
            _ => ("503 Service Unavailable", "stopping\n".to_owned()),
        }
    } else {
        ("404 Not Found", "try /metrics\n".to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.flush().await?;
    stream.shutdown().await
}
