//! A small signing HTTP client for the emulator's tests: ureq for ordinary requests, raw TCP for the
//! malformed and interrupted ones.

#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, SystemTime};

use oss_append::sign::{self, v1, v4, SignRequest, SignatureVersion};
use oss_append::Credentials;

pub const BUCKET: &str = "test-bucket";
pub const REGION: &str = "cn-hangzhou";

/// A response, fully read.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn header_u64(&self, name: &str) -> Option<u64> {
        self.header(name).map(|v| v.parse().unwrap_or_else(|_| panic!("{name}: {v} is not a u64")))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The text of `<name>` in the XML body.
    pub fn xml(&self, name: &str) -> Option<String> {
        let text = self.text();
        let open = format!("<{name}>");
        let start = text.find(&open)? + open.len();
        let end = text[start..].find(&format!("</{name}>"))? + start;
        Some(text[start..end].to_string())
    }

    pub fn code(&self) -> String {
        self.xml("Code").unwrap_or_default()
    }
}

/// How requests are signed.
#[derive(Clone, Debug)]
pub struct Signer {
    pub credentials: Option<Credentials>,
    pub version: SignatureVersion,
    pub region: String,
    /// Signing time; `None` for now.
    pub time: Option<SystemTime>,
}

impl Signer {
    pub fn anonymous() -> Self {
        Signer { credentials: None, version: SignatureVersion::V4, region: REGION.into(), time: None }
    }

    pub fn v4(credentials: Credentials) -> Self {
        Signer { credentials: Some(credentials), version: SignatureVersion::V4, region: REGION.into(), time: None }
    }

    pub fn v1(credentials: Credentials) -> Self {
        Signer { credentials: Some(credentials), version: SignatureVersion::V1, region: REGION.into(), time: None }
    }

    /// Adds the signing headers and the Authorization header.
    pub fn sign(
        &self,
        method: &str,
        bucket: Option<&str>,
        key: Option<&str>,
        query: &[(String, String)],
        headers: &mut Vec<(String, String)>,
    ) {
        let Some(credentials) = &self.credentials else { return };
        let time = self.time.unwrap_or_else(SystemTime::now);
        match self.version {
            SignatureVersion::V4 => {
                v4::add_signing_headers(headers, credentials, time);
                let request = SignRequest { method, bucket, key, query, headers };
                let signed =
                    v4::sign(&request, &[], credentials, &v4::V4Scope { region: &self.region, product: "oss", time });
                headers.push(("Authorization".into(), signed.authorization));
            }
            SignatureVersion::V1 => {
                v1::add_signing_headers(headers, credentials, time);
                let request = SignRequest { method, bucket, key, query, headers };
                let signed = v1::sign(&request, credentials);
                headers.push(("Authorization".into(), signed.authorization));
            }
        }
    }
}

/// Builds `/bucket/key?query` with everything percent-encoded.
pub fn path_and_query(bucket: Option<&str>, key: Option<&str>, query: &[(String, String)]) -> String {
    let mut path = match (bucket, key) {
        (Some(b), Some(k)) => format!("/{b}/{}", sign::encode_path(k)),
        (Some(b), None) => format!("/{b}/"),
        _ => "/".to_string(),
    };
    if !query.is_empty() {
        path.push('?');
        let parts: Vec<String> = query
            .iter()
            .map(|(n, v)| {
                if v.is_empty() {
                    sign::encode_component(n)
                } else {
                    format!("{}={}", sign::encode_component(n), sign::encode_component(v))
                }
            })
            .collect();
        path.push_str(&parts.join("&"));
    }
    path
}

pub fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect()
}

/// A client for one emulator.
pub struct Client {
    pub endpoint: String,
    pub signer: Signer,
    agent: ureq::Agent,
}

impl Client {
    pub fn new(endpoint: &str, signer: Signer) -> Self {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Client { endpoint: endpoint.to_string(), signer, agent }
    }

    /// Sends a request to `/bucket/key` with `query` and `headers`, signed, and reads the response.
    pub fn send(
        &self,
        method: &str,
        bucket: Option<&str>,
        key: Option<&str>,
        query: &[(&str, &str)],
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Resp {
        let query = pairs(query);
        let mut headers = pairs(headers);
        self.signer.sign(method, bucket, key, &query, &mut headers);
        let url = format!("{}{}", self.endpoint, path_and_query(bucket, key, &query));
        let mut request = ureq::http::Request::builder().method(method).uri(&url);
        for (name, value) in &headers {
            request = request.header(name.as_str(), value.as_str());
        }
        let request = request.body(body.to_vec()).expect("a valid request");
        let mut response = self.agent.run(request).unwrap_or_else(|e| panic!("{method} {url}: {e}"));
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .map(|(n, v)| (n.as_str().to_string(), String::from_utf8_lossy(v.as_bytes()).into_owned()))
            .collect();
        let body = response.body_mut().with_config().limit(u64::MAX).read_to_vec().unwrap_or_default();
        Resp { status, headers, body }
    }

    pub fn append(&self, key: &str, position: u64, body: &[u8]) -> Resp {
        self.append_with(key, position, &[], body)
    }

    pub fn append_with(&self, key: &str, position: u64, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let position = position.to_string();
        self.send("POST", Some(BUCKET), Some(key), &[("append", ""), ("position", &position)], headers, body)
    }

    pub fn put(&self, key: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        self.send("PUT", Some(BUCKET), Some(key), &[], headers, body)
    }

    pub fn get(&self, key: &str, headers: &[(&str, &str)]) -> Resp {
        self.send("GET", Some(BUCKET), Some(key), &[], headers, b"")
    }

    pub fn head(&self, key: &str) -> Resp {
        self.send("HEAD", Some(BUCKET), Some(key), &[], &[], b"")
    }

    pub fn delete(&self, key: &str) -> Resp {
        self.send("DELETE", Some(BUCKET), Some(key), &[], &[], b"")
    }
}

/// Writes `request` on a fresh connection and reads until the server closes it or `timeout` passes.
/// Returns what was read (possibly nothing).
pub fn raw(addr: SocketAddr, request: &[u8], timeout: Duration) -> String {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(timeout)).unwrap();
    let _ = stream.write_all(request);
    read_until_close(&mut stream)
}

/// Reads until the peer closes or the read times out.
pub fn read_until_close(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(_) => break,
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads one response with a Content-Length body from a kept-alive connection.
pub fn read_one_response(stream: &mut TcpStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 1];
    while !out.ends_with(b"\r\n\r\n") {
        match stream.read(&mut buf) {
            Ok(0) | Err(_) => return String::from_utf8_lossy(&out).into_owned(),
            Ok(_) => out.push(buf[0]),
        }
    }
    let head = String::from_utf8_lossy(&out).into_owned();
    let length = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase().strip_prefix("content-length:").map(|v| v.trim().parse::<usize>().unwrap())
        })
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    head + &String::from_utf8_lossy(&body)
}

/// The status code of a raw response.
pub fn raw_status(response: &str) -> u16 {
    response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}
