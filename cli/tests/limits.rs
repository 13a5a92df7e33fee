//! The collector's limits on every phase of a connection, over real TCP on 127.0.0.1: headers
//! sent a byte at a time (slowloris) and an idle keep-alive connection are closed after the
//! header timeout, a body that stalls gets 408 after the request timeout, a connection past the
//! maximum gets 503 at once (not a hang) while the others are served, and a stop signal with a
//! half-sent request open exits by the shutdown deadline. Each bound is checked loosely (the
//! limit is a second; the test allows ten): the machine is shared, and what is proven is that
//! the connection ends, not how fast.

mod common;

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::spawn_collector;

struct Collector {
    child: Option<Child>,
    address: String,
    _dir: tempfile::TempDir,
}

impl Collector {
    fn start(extra: &[&str]) -> Collector {
        let dir = tempfile::tempdir().unwrap();
        let (child, url) = spawn_collector(
            dir.path().join("l.db"),
            extra,
            Some("a-secret-for-limits"),
            Stdio::piped(),
        );
        Collector {
            child: Some(child),
            address: url.trim_start_matches("http://").to_owned(),
            _dir: dir,
        }
    }

    fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(&self.address).unwrap();
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .unwrap();
        stream
    }

    /// A whole GET on a new connection: the status line.
    fn get_status(&self, path: &str) -> String {
        let mut stream = self.connect();
        write!(
            stream,
            "GET {path} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        stream.read_to_string(&mut answer).unwrap();
        answer.lines().next().unwrap_or_default().to_owned()
    }

    /// SIGTERM; then how long the process took to exit, whether it exited 0, and its stderr.
    fn terminate(mut self) -> (Duration, bool, String) {
        let child = self.child.take().unwrap();
        let started = Instant::now();
        Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        let output = child.wait_with_output().unwrap();
        (
            started.elapsed(),
            output.status.success(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads until the server closes the connection (or `limit` passes); what it sent, and when it
/// closed.
fn until_closed(stream: &mut TcpStream, limit: Duration) -> (String, Option<Duration>) {
    let started = Instant::now();
    stream.set_read_timeout(Some(limit)).unwrap();
    let mut got = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Ok(n) => got.extend_from_slice(&buffer[..n]),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                return (
                    String::from_utf8_lossy(&got).into_owned(),
                    Some(started.elapsed()),
                )
            }
            Err(_) => return (String::from_utf8_lossy(&got).into_owned(), None),
        }
    }
}

const TIGHT: &[&str] = &["--header-timeout", "1", "--request-timeout", "1"];

#[test]
fn headers_sent_a_byte_at_a_time_are_cut_off_after_the_header_timeout() {
    let collector = Collector::start(TIGHT);
    let mut slow = collector.connect();
    let started = Instant::now();
    let request = b"GET /api/experiments HTTP/1.1\r\nhost: x\r\nx-slow: ";
    let mut closed = false;
    for byte in request.iter().chain([b'a'; 200].iter()) {
        if slow.write_all(&[*byte]).is_err() {
            closed = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        if started.elapsed() > Duration::from_secs(10) {
            break;
        }
    }
    if !closed {
        let (_, when) = until_closed(&mut slow, Duration::from_secs(10));
        closed = when.is_some();
    }
    assert!(closed, "a slowloris connection is closed");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(collector.get_status("/api/experiments"), "HTTP/1.1 200 OK");
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_header_timeout() {
    let collector = Collector::start(TIGHT);
    let mut stream = collector.connect();
    write!(stream, "GET /api/experiments HTTP/1.1\r\nhost: x\r\n\r\n").unwrap();
    let mut first = [0u8; 12];
    stream.read_exact(&mut first).unwrap();
    assert_eq!(&first, b"HTTP/1.1 200");
    let (_, closed) = until_closed(&mut stream, Duration::from_secs(10));
    assert!(
        closed.is_some(),
        "the idle connection is closed by the server"
    );
}

#[test]
fn a_body_that_stalls_is_answered_408_after_the_request_timeout() {
    let collector = Collector::start(TIGHT);
    let mut stream = collector.connect();
    let started = Instant::now();
    write!(
        stream,
        "POST /api/events HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
         content-length: 1000\r\n\r\n{{\"records\": ["
    )
    .unwrap();
    let (answer, closed) = until_closed(&mut stream, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    assert!(closed.is_some() || !answer.is_empty());
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[test]
fn a_connection_past_the_maximum_gets_503_at_once_and_the_others_are_served() {
    let collector = Collector::start(&["--max-connections", "3", "--header-timeout", "30"]);
    // Three connections that say nothing hold every place.
    let mut held: Vec<TcpStream> = (0..3).map(|_| collector.connect()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut extra = collector.connect();
    let (answer, closed) = until_closed(&mut extra, Duration::from_secs(10));
    assert!(
        answer.starts_with("HTTP/1.1 503 Service Unavailable"),
        "{answer:?}"
    );
    assert!(answer.contains("too many connections"), "{answer}");
    assert!(closed.is_some(), "and closed, not left hanging");
    // One of the three speaks and is served; once it leaves, a new connection is served too.
    let mut first = held.remove(0);
    write!(
        first,
        "GET /api/experiments HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let (answer, _) = until_closed(&mut first, Duration::from_secs(10));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer:?}");
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(collector.get_status("/api/experiments"), "HTTP/1.1 200 OK");
    assert_eq!(held.len(), 2, "the two others still hold their places");
}

#[test]
fn a_stop_with_a_half_sent_request_open_exits_by_the_shutdown_deadline() {
    let collector = Collector::start(&["--header-timeout", "60", "--shutdown-deadline", "1"]);
    let mut half = collector.connect();
    write!(half, "POST /api/events HTTP/1.1\r\nhost: x\r\ncontent-le").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let (took, success, stderr) = collector.terminate();
    assert!(success, "{stderr}");
    assert!(
        took < Duration::from_secs(10),
        "exited after {took:?}: {stderr}"
    );
    assert!(
        stderr.contains("stopped; every acknowledged batch is on disk"),
        "{stderr}"
    );
}

#[test]
fn a_timeout_that_is_not_a_positive_number_of_seconds_is_refused_at_start() {
    for bad in ["0", "-1", "nan", "inf", "1e19", "86401"] {
        let output = Command::new(env!("CARGO_BIN_EXE_cohort"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                &format!("--header-timeout={bad}"),
            ])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{bad}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("--header-timeout must be a positive number of seconds"),
            "{bad}: {stderr}"
        );
    }
}
