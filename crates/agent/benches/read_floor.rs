//! The I/O floor of a content scan on this machine: read every regular file
//! below a tree (one file system) with N threads, doing the system calls a
//! scan must make (lstat, open, fstat, 64 KiB reads, close) but no hashing.
//! `fim_vs_aide.sh` runs it next to `fim init` so the hashing limit can be
//! read against what merely reading the bytes costs here.
//!
//! Usage: cargo bench -p selfcheck-agent --bench read_floor -- [TREE] [THREADS]

use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, mpsc};

fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let root = PathBuf::from(args.first().map_or("/usr", String::as_str));
    let threads: usize = args
        .get(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let Ok(top) = std::fs::symlink_metadata(&root) else {
        eprintln!("read_floor: cannot read {}", root.display());
        std::process::exit(2);
    };
    let started = std::time::Instant::now();
    let (tx, rx) = mpsc::channel::<PathBuf>();
    let rx = Mutex::new(rx);
    let total = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                let mut buf = vec![0u8; 64 * 1024];
                loop {
                    let next = rx.lock().map(|r| r.recv());
                    let Ok(Ok(path)) = next else { break };
                    let Ok(mut file) = std::fs::File::open(&path) else {
                        continue;
                    };
                    let _ = file.metadata();
                    while let Ok(n) = file.read(&mut buf) {
                        if n == 0 {
                            break;
                        }
                        total.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            });
        }
        let mut stack = vec![root.clone()];
        while let Some(path) = stack.pop() {
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.is_dir() && meta.dev() == top.dev() {
                for entry in std::fs::read_dir(&path).into_iter().flatten().flatten() {
                    stack.push(entry.path());
                }
            } else if meta.is_file() {
                let _ = tx.send(path);
            }
        }
        drop(tx);
    });
    println!(
        "read_floor: {} bytes in {:.2} s with {threads} threads",
        total.into_inner(),
        started.elapsed().as_secs_f64()
    );
}
