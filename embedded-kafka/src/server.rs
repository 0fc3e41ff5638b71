//! The TCP side: accepts connections and serves each one's requests in order
//! (as Kafka does), with buffered reads and writes and TCP_NODELAY.

use crate::broker::Broker;
use std::sync::Arc;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// Largest request accepted (Kafka's `socket.request.max.bytes` default).
const MAX_REQUEST_BYTES: usize = 100 * 1024 * 1024;
const IO_BUFFER_BYTES: usize = 256 * 1024;

/// Accepts connections until `shutdown` turns true, then stops every connection.
pub async fn accept_loop(
    broker: Arc<Broker>,
    listener: TcpListener,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    tracing::debug!(%peer, "accepted connection");
                    connections.spawn(serve_connection(broker.clone(), stream));
                }
                Err(error) => tracing::warn!(%error, "accept failed"),
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = shutdown.changed() => break,
        }
    }
    connections.shutdown().await;
    tracing::info!("broker stopped");
}

async fn serve_connection(broker: Arc<Broker>, stream: TcpStream) {
    let peer = stream.peer_addr().ok();
    if let Err(error) = stream.set_nodelay(true) {
        tracing::debug!(%error, "cannot set TCP_NODELAY");
    }
    let (read, write) = stream.into_split();
    let mut reader = BufReader::with_capacity(IO_BUFFER_BYTES, read);
    let mut writer = BufWriter::with_capacity(IO_BUFFER_BYTES, write);
    while let Ok(length) = reader.read_i32().await {
        let Some(length) = usize::try_from(length)
            .ok()
            .filter(|l| *l <= MAX_REQUEST_BYTES)
        else {
            tracing::warn!(
                ?peer,
                length,
                "closing a connection that sent an invalid request size"
            );
            break;
        };
        let mut frame = vec![0u8; length];
        if let Err(error) = reader.read_exact(&mut frame).await {
            tracing::debug!(?peer, %error, "connection closed mid-request");
            break;
        }
        match broker.dispatch(frame.into()).await {
            Ok(Some(reply)) => {
                if writer.write_all(&reply).await.is_err() {
                    break;
                }
            }
            Ok(None) => {}
            Err(error) => {
                tracing::warn!(?peer, %error, "closing a connection after an unanswerable request");
                break;
            }
        }
        if reader.buffer().is_empty() && writer.flush().await.is_err() {
            break;
        }
    }
    tracing::debug!(?peer, "connection closed");
}
