//! Accepting connections with limits on every phase, as a server facing strangers must (nginx's
//! and hyper's timeouts): at most [`Limits::max_connections`] open at once (one more is answered
//! 503 and closed, never left hanging), a request's headers within [`Limits::header_timeout`] (the
//! same bound holds a keep-alive connection idle between requests), a batch's body and its
//! storing within [`Limits::request_timeout`] (408 after it), and a graceful shutdown that stops
//! accepting, lets requests under way finish, and exits after [`Limits::shutdown_deadline`]
//! whatever is still open.
//!
//! A batch cut short by the deadline is not acknowledged; a batch whose commit finished is. A
//! client sends an unacknowledged batch again and the collector stores each record once, so
//! nothing acknowledged is lost either way.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::connect_info::ConnectInfo;
use axum::Router;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;
use tower_http::add_extension::AddExtension;

/// The limits of a collector's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Connections open at once; past it, new ones get 503 and are closed.
    pub max_connections: usize,
    /// For a request's headers to arrive, and for an idle keep-alive connection's next request.
    pub header_timeout: Duration,
    /// For a batch's body to arrive and be stored (`POST /api/events`); 408 after it.
    pub request_timeout: Duration,
    /// After a stop signal, for requests under way to finish before the process exits.
    pub shutdown_deadline: Duration,
    /// Batches stored together in one commit at most (group commit); 1 commits each batch in
    /// a transaction of its own.
    pub commit_group: usize,
}

impl Default for Limits {
    /// 1,024 connections (lowered at start to what the limit on open files allows, see
    /// [`connections_that_fit`]), 10 s for headers, 30 s for a batch, 10 s to stop, 64
    /// batches to a commit.
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            shutdown_deadline: Duration::from_secs(10),
            commit_group: 64,
        }
    }
}

/// What a connection past the limit is told before it is closed.
const BUSY: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
retry-after: 1\r\nconnection: close\r\ncontent-length: 52\r\n\r\n\
{\"error\": \"too many connections: try again shortly\"}";

/// Connections the kernel may hold completed for the collector to accept (it caps this at
/// `net.core.somaxconn`). The standard library asks for 128, which a burst of new clients
/// overflows: the kernel then drops their handshakes, and each waits a second to try again.
pub const LISTEN_BACKLOG: u32 = 4096;

/// A listener on `address` with a backlog of [`LISTEN_BACKLOG`] (and, as the standard
/// library does, `SO_REUSEADDR`, so a restart need not wait for old connections to time out).
pub fn bind(address: std::net::SocketAddr) -> std::io::Result<TcpListener> {
    let socket = if address.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    socket.set_reuseaddr(true)?;
    socket.bind(address)?;
    socket.listen(LISTEN_BACKLOG)
}

/// Raises this process's soft limit on open files to its hard limit, and returns how many
/// connections fit under it with room for the store's files and the listener (none if the
/// limit cannot be read). Connections past the limit would fail to be accepted at all, so
/// they could not even be told 503.
pub fn connections_that_fit() -> Option<usize> {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut files = getrlimit(Resource::Nofile);
    let below = match (files.current, files.maximum) {
        (Some(soft), Some(hard)) => soft < hard,
        (Some(_), None) => true,
        (None, _) => false,
    };
    if below {
        files.current = files.maximum;
        let _ = setrlimit(Resource::Nofile, files);
        files = getrlimit(Resource::Nofile);
    }
    let open = files.current?;
    Some((open as usize).saturating_sub(RESERVED_FILES))
}

/// Files kept for other than connections: the store's (SQLite's database, WAL and shared
/// memory on three connections, or PostgreSQL's pool), the listener, standard streams, and the
/// sockets being turned away.
const RESERVED_FILES: usize = 128;

/// Serves `app` on `listener` within `limits` until `stop` resolves, then shuts down
/// gracefully: the listener closes at once, requests under way get until the deadline.
/// Returns how many connections were still open at the deadline.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: Limits,
    stop: impl Future<Output = ()>,
) -> usize {
    let open = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    let mut stop = std::pin::pin!(stop);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors or a connection reset before it was accepted:
                    // wait a moment rather than spin, and go on.
                    eprintln!("cohort: cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let Ok(permit) = open.clone().try_acquire_owned() else {
            tokio::spawn(turn_away(stream));
            continue;
        };
        let service = TowerToHyperService::new(AddExtension::new(app.clone(), ConnectInfo(peer)));
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection that ends badly (a reset, a timeout) concerns only its client.
            let _ = connection.await;
            drop(permit);
        });
    }
    drop(listener);
    match tokio::time::timeout(limits.shutdown_deadline, graceful.shutdown()).await {
        Ok(()) => 0,
        Err(_) => (limits.max_connections - open.available_permits()).max(1),
    }
}

/// Answers 503 to a connection past the limit and closes it (within a second).
async fn turn_away(mut stream: TcpStream) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        stream.write_all(BUSY).await?;
        stream.shutdown().await
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A burst of clients completes its handshakes at once even before the collector accepts
    /// any (the standard library's backlog of 128 drops the 129th until it retries, a second
    /// later; the soak run saw 10,000 connections take 50 s instead of 0.2).
    #[tokio::test]
    async fn a_burst_of_a_thousand_connections_is_held_by_the_kernel_without_a_retry() {
        let listener = bind("127.0.0.1:0".parse().unwrap()).unwrap();
        let address = listener.local_addr().unwrap();
        let timeout = Duration::from_millis(500);
        let held: Vec<std::net::TcpStream> = (0..1000)
            .map(|i| {
                std::net::TcpStream::connect_timeout(&address, timeout)
                    .unwrap_or_else(|e| panic!("connection {i} waited on a full backlog: {e}"))
            })
            .collect();
        assert_eq!(held.len(), 1000);
        drop(listener);
    }

    #[test]
    fn the_busy_answer_is_a_whole_http_response() {
        let text = std::str::from_utf8(BUSY).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "));
        let length: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length: "))
            .unwrap()
            .parse()
            .unwrap();
        assert_eq!(length, body.len());
        assert!(serde_json::from_str::<serde_json::Value>(body).unwrap()["error"].is_string());
    }
}
