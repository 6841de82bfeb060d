//! A CONNECT proxy for tests: it tunnels each connection it is asked for and remembers the targets,
//! so a test can check that requests went through it.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// A running CONNECT proxy on 127.0.0.1. It serves until the process ends.
#[derive(Debug, Clone)]
pub struct ConnectProxy {
    url: String,
    tunnels: Arc<Mutex<Vec<String>>>,
}

impl ConnectProxy {
    /// Starts one on a free port.
    pub fn start() -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let url = format!("http://{}", listener.local_addr()?);
        let tunnels = Arc::new(Mutex::new(Vec::new()));
        let seen = tunnels.clone();
        std::thread::Builder::new().name("connect-proxy".into()).spawn(move || {
            for client in listener.incoming().flatten() {
                let seen = seen.clone();
                std::thread::spawn(move || tunnel(client, &seen));
            }
        })?;
        Ok(Self { url, tunnels })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `host:port` of every tunnel asked for so far, oldest first.
    pub fn tunnels(&self) -> Vec<String> {
        self.tunnels.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

fn tunnel(client: TcpStream, seen: &Mutex<Vec<String>>) {
    let Ok(reading) = client.try_clone() else { return };
    let mut reader = BufReader::new(reading);
    let mut request = String::new();
    if reader.read_line(&mut request).is_err() {
        return;
    }
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
    }
    let mut words = request.split_whitespace();
    let (Some("CONNECT"), Some(target)) = (words.next(), words.next()) else {
        let _ = (&client).write_all(b"HTTP/1.1 405 Method Not Allowed\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    seen.lock().unwrap_or_else(|p| p.into_inner()).push(target.to_string());
    let Ok(upstream) = TcpStream::connect(target) else {
        let _ = (&client).write_all(b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\n\r\n");
        return;
    };
    let _ = (&client).write_all(b"HTTP/1.1 200 Connection established\r\n\r\n");
    let (Ok(mut up_read), mut up_write) = (upstream.try_clone(), upstream) else { return };
    let pump = std::thread::spawn(move || {
        // What the client already sent after the CONNECT head is in the reader's buffer.
        let _ = std::io::copy(&mut reader, &mut up_write);
        let _ = up_write.shutdown(Shutdown::Write);
    });
    let mut down_write = client;
    let mut buffer = [0u8; 64 << 10];
    loop {
        match up_read.read(&mut buffer) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if down_write.write_all(&buffer[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = down_write.shutdown(Shutdown::Write);
    let _ = pump.join();
}
