//! The main job, with no account needed: start the emulator in-process, append chunks to an
//! object (each verified by CRC-64), print each next position and CRC, then read the object back.
//!
//! Run: `cargo run --example append_demo`

use oss_append::{AppendOptions, Client, Credentials, ObjectHeaders};
use oss_emulator::Emulator;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let emulator = Emulator::builder().credentials("demo-ak", "demo-secret").bucket("demo-bucket").start()?;
    println!("emulator listening on {}", emulator.endpoint());

    let client = Client::builder()
        .endpoint(emulator.endpoint())
        .region("cn-hangzhou")
        .credentials(Credentials::new("demo-ak", "demo-secret"))
        .build()?;

    let options = AppendOptions::new().headers(ObjectHeaders::new().content_type("text/plain"));
    let mut log = client.appender("demo-bucket", "logs/app.log").with_options(options);
    let mut sent = Vec::new();
    for i in 1..=5 {
        let chunk = format!("line {i}: appended with a tracked position and a verified CRC-64\n");
        let result = log.append(chunk.as_bytes())?;
        sent.extend_from_slice(chunk.as_bytes());
        println!(
            "appended {:>3} bytes at {:>3}: next position {:>3}, crc64 {}",
            chunk.len(),
            result.position,
            result.next_position,
            result.crc64
        );
    }

    let meta = client.head_object("demo-bucket", "logs/app.log")?;
    println!("object type {}, length {}, crc64 {:?}", meta.object_type, meta.content_length, meta.crc64);
    let read_back = client.get_object_to_vec("demo-bucket", "logs/app.log", None)?;
    assert_eq!(read_back, sent, "the object holds exactly what was appended");
    println!("read back {} bytes, identical to what was appended:", read_back.len());
    print!("{}", String::from_utf8_lossy(&read_back));
    Ok(())
}
