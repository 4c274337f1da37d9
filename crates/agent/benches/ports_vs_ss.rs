//! Benchmark: `selfcheck-agent ports --format json` against `ss -H -tulpn` on a
//! host with 1,000 extra loopback listeners (600 TCP, 400 UDP, IPv4 and IPv6).
//!
//! Both programs are started the same way (spawned, output captured), one after
//! the other, N times; each pair of answers must be the same set of
//! (protocol, address, port, pids). Prints the median wall time of each, their
//! ratio, and PASS or FAIL against the target: the agent takes at most twice
//! the time of `ss`. Exits non-zero on FAIL or when the answers differ.
//!
//! Run: `cargo bench -p selfcheck-agent --bench ports_vs_ss`. Only loopback
//! addresses are bound; nothing connects anywhere.

use selfcheck_report::{ListeningSocket, TransportProtocol};
use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv6Addr, TcpListener, UdpSocket};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

/// Timed runs of each program.
const RUNS: usize = 20;
/// Untimed runs of each program first (page cache, dynamic loader).
const WARMUP: usize = 2;
const TCP_LISTENERS: usize = 600;
const UDP_LISTENERS: usize = 400;
/// The agent may take at most this many times the time of `ss`.
const TARGET_RATIO: f64 = 2.0;

/// (protocol, address, port, pids holding it)
type Entry = (TransportProtocol, IpAddr, u16, BTreeSet<u32>);

fn main() -> ExitCode {
    raise_fd_limit(TCP_LISTENERS + UDP_LISTENERS + 64);
    let (_keep, ipv6) = open_listeners();
    let agent = env!("CARGO_BIN_EXE_selfcheck-agent");
    let own_pid = std::process::id();
    println!(
        "ports_vs_ss: {TCP_LISTENERS} TCP + {UDP_LISTENERS} UDP loopback listeners ({}), {RUNS} runs each",
        if ipv6 {
            "127.0.0.1 and ::1"
        } else {
            "127.0.0.1 only: no IPv6 loopback here"
        }
    );

    for _ in 0..WARMUP {
        run_agent(agent);
        run_ss();
    }
    let (mut agent_times, mut ss_times) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        let (t_agent, mut ours) = run_agent(agent);
        let (t_ss, mut theirs) = run_ss();
        agent_times.push(t_agent);
        ss_times.push(t_ss);
        // Other programs may open or close sockets between the two runs:
        // compare again (untimed) a few times before calling it a difference.
        let mut retries = 0;
        while ours != theirs && retries < 3 {
            retries += 1;
            std::thread::sleep(Duration::from_millis(100));
            ours = run_agent(agent).1;
            theirs = run_ss().1;
        }
        if ours != theirs {
            eprintln!("run {run}: the agent and ss disagree");
            eprintln!(
                "  only from the agent: {:?}",
                ours.difference(&theirs).collect::<Vec<_>>()
            );
            eprintln!(
                "  only from ss:        {:?}",
                theirs.difference(&ours).collect::<Vec<_>>()
            );
            return ExitCode::FAILURE;
        }
        let own = ours.iter().filter(|e| e.3.contains(&own_pid)).count();
        if own != TCP_LISTENERS + UDP_LISTENERS {
            eprintln!(
                "run {run}: {own} sockets of the benchmark process seen, expected {}",
                TCP_LISTENERS + UDP_LISTENERS
            );
            return ExitCode::FAILURE;
        }
    }
    let (m_agent, m_ss) = (median(&mut agent_times), median(&mut ss_times));
    let ratio = m_agent.as_secs_f64() / m_ss.as_secs_f64();
    println!(
        "median agent (selfcheck-agent ports --format json): {:.2} ms",
        ms(m_agent)
    );
    println!(
        "median ss (ss -H -tulpn):                          {:.2} ms",
        ms(m_ss)
    );
    println!(
        "min/max agent {:.2}/{:.2} ms, ss {:.2}/{:.2} ms",
        ms(agent_times[0]),
        ms(agent_times[RUNS - 1]),
        ms(ss_times[0]),
        ms(ss_times[RUNS - 1])
    );
    println!("ratio agent/ss: {ratio:.2}");
    if ratio <= TARGET_RATIO {
        println!("PASS: the agent takes at most {TARGET_RATIO}x the time of ss");
        ExitCode::SUCCESS
    } else {
        println!("FAIL: the agent takes more than {TARGET_RATIO}x the time of ss");
        ExitCode::FAILURE
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Sorts `times` and returns the median.
fn median(times: &mut [Duration]) -> Duration {
    times.sort();
    let n = times.len();
    if n % 2 == 1 {
        times[n / 2]
    } else {
        (times[n / 2 - 1] + times[n / 2]) / 2
    }
}

/// Room for `needed` open files: the soft limit raised towards the hard one.
fn raise_fd_limit(needed: usize) {
    use nix::sys::resource::{Resource, getrlimit, setrlimit};
    let needed = needed as u64;
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE)
        && soft < needed
    {
        let _ = setrlimit(Resource::RLIMIT_NOFILE, needed.min(hard), hard);
    }
}

/// The listeners, kept open until the end; and whether IPv6 loopback exists.
fn open_listeners() -> (Vec<Box<dyn std::any::Any>>, bool) {
    let ipv6 = TcpListener::bind("[::1]:0").is_ok();
    let address = |i: usize| {
        if ipv6 && i % 2 == 1 {
            "[::1]:0"
        } else {
            "127.0.0.1:0"
        }
    };
    let mut keep: Vec<Box<dyn std::any::Any>> = Vec::new();
    for i in 0..TCP_LISTENERS {
        let l = TcpListener::bind(address(i)).unwrap_or_else(|e| {
            panic!(
                "cannot open TCP listener {i} on {}: {e} (is `ulimit -n` below 1100?)",
                address(i)
            )
        });
        keep.push(Box::new(l));
    }
    for i in 0..UDP_LISTENERS {
        let u = UdpSocket::bind(address(i)).unwrap_or_else(|e| {
            panic!(
                "cannot open UDP socket {i} on {}: {e} (is `ulimit -n` below 1100?)",
                address(i)
            )
        });
        keep.push(Box::new(u));
    }
    (keep, ipv6)
}

fn run_agent(agent: &str) -> (Duration, BTreeSet<Entry>) {
    let start = Instant::now();
    let output = Command::new(agent)
        .args(["ports", "--format", "json"])
        .output()
        .unwrap_or_else(|e| panic!("cannot run {agent}: {e}"));
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "{agent} ports --format json failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let sockets: Vec<ListeningSocket> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("the agent's JSON is not a list of sockets: {e}"));
    let set = sockets
        .into_iter()
        .map(|s| {
            (
                s.protocol,
                s.address,
                s.port,
                s.processes.iter().map(|p| p.pid).collect(),
            )
        })
        .collect();
    (elapsed, set)
}

fn run_ss() -> (Duration, BTreeSet<Entry>) {
    let start = Instant::now();
    let output = match Command::new("ss").args(["-H", "-tulpn"]).output() {
        Ok(o) => o,
        Err(e) => panic!("cannot run `ss` ({e}); install iproute2 to run this benchmark"),
    };
    let elapsed = start.elapsed();
    assert!(
        output.status.success(),
        "ss -H -tulpn failed: {}",
        output.status
    );
    let text = String::from_utf8_lossy(&output.stdout);
    let set = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| parse_ss_line(l).unwrap_or_else(|| panic!("cannot parse ss line {l:?}")))
        .collect();
    (elapsed, set)
}

/// `udp UNCONN 0 0 [::1]:53 [::]:* users:(("name",pid=1,fd=3),("n",pid=2,fd=4))`
fn parse_ss_line(line: &str) -> Option<Entry> {
    let mut columns = line.split_whitespace();
    let protocol = match columns.next()? {
        "tcp" => TransportProtocol::Tcp,
        "udp" => TransportProtocol::Udp,
        _ => return None,
    };
    let local = columns.nth(3)?;
    let (host, port) = local.rsplit_once(':')?;
    let host = host.split_once('%').map_or(host, |(h, _device)| h);
    let address = match host {
        // ss writes `*` for the IPv6 any address of a dual-stack socket.
        "*" => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        h => h
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?,
    };
    let pids = line
        .split(",pid=")
        .skip(1)
        .map(|rest| rest.split(',').next().and_then(|p| p.parse().ok()))
        .collect::<Option<BTreeSet<u32>>>()?;
    Some((protocol, address, port.parse().ok()?, pids))
}
