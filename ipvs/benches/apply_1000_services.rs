//! Benchmark: 1,000 virtual services × 4 real servers put into the kernel
//! by `ipvsadm -R` (the save format on its standard input) and by the
//! binding's pipelined [`Ipvs::apply`], best of three rounds each, timing
//! everything from starting the program (or connecting) to the last
//! acknowledgement. Both must produce the same table, and the binding must
//! not be slower; the figures and their ratio are printed.
//!
//! It needs a kernel with IPVS and the real ipvsadm, so it runs in the VM
//! (`cargo test -p ha-ipvs --test in_vm` runs bench targets there); where
//! IPVS is absent it says so and exits successfully without measuring.

// A benchmark harness, like a test: a failed setup ends the run with
// its reason.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

use ha_ipvs::{Change, Destination, Ipvs, IpvsError, Protocol, Service, ServiceKey};

const SERVICES: u32 = 1000;
const SERVERS: u32 = 4;
const ROUNDS: usize = 3;

/// The rules, as changes for the binding and as `ipvsadm -R` input.
fn rules() -> (Vec<Change>, String) {
    let mut changes = Vec::new();
    let mut text = String::new();
    for s in 0..SERVICES {
        let vip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 100, 0, 1)) + s);
        let key = ServiceKey::Address {
            protocol: Protocol::Tcp,
            addr: IpAddr::V4(vip),
            port: 80,
        };
        changes.push(Change::AddService(Service::new(key, "wlc")));
        text.push_str(&format!("-A -t {vip}:80 -s wlc\n"));
        for r in 0..SERVERS {
            let rip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 200, 0, 1)) + s * SERVERS + r);
            changes.push(Change::AddDestination(
                key,
                Destination::new(IpAddr::V4(rip), 80),
            ));
            text.push_str(&format!("-a -t {vip}:80 -r {rip}:80 -g -w 1\n"));
        }
    }
    (changes, text)
}

/// Every service with its real servers, sorted, counters left out.
fn table(ipvs: &mut Ipvs) -> Result<Vec<(Service, Vec<Destination>)>, IpvsError> {
    let mut services: Vec<Service> = ipvs.services()?.into_iter().map(|e| e.service).collect();
    services.sort_by_key(|s| s.key);
    let mut table = Vec::with_capacity(services.len());
    for service in services {
        let mut dests: Vec<Destination> = ipvs
            .destinations(&service.key)?
            .into_iter()
            .map(|e| e.destination)
            .collect();
        dests.sort_by_key(|d| d.key());
        table.push((service, dests));
    }
    Ok(table)
}

fn ipvsadm_restore(ipvsadm: &str, text: &str) -> Result<Duration, String> {
    let started = Instant::now();
    let mut child = Command::new(ipvsadm)
        .arg("-R")
        .stdin(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run {ipvsadm}: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("no stdin for ipvsadm")?;
    stdin
        .write_all(text.as_bytes())
        .map_err(|e| format!("feeding ipvsadm -R: {e}"))?;
    drop(stdin);
    let status = child
        .wait()
        .map_err(|e| format!("waiting for ipvsadm: {e}"))?;
    let elapsed = started.elapsed();
    if !status.success() {
        return Err(format!("ipvsadm -R failed: {status}"));
    }
    Ok(elapsed)
}

fn binding_apply(changes: &[Change]) -> Result<Duration, String> {
    let started = Instant::now();
    let mut ipvs = Ipvs::connect().map_err(|e| e.to_string())?;
    let results = ipvs.apply(changes).map_err(|e| e.to_string())?;
    let elapsed = started.elapsed();
    if let Some((index, Err(error))) = results.iter().enumerate().find(|(_, r)| r.is_err()) {
        return Err(format!(
            "change {index} ({:?}) refused: {error}",
            changes[index]
        ));
    }
    Ok(elapsed)
}

fn run(ipvsadm: &str) -> Result<(), String> {
    let (changes, text) = rules();
    let mut ipvs = Ipvs::connect().map_err(|e| e.to_string())?;
    let mut theirs = Vec::new();
    let mut ours = Vec::new();
    let (mut their_table, mut our_table) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        ipvs.flush().map_err(|e| e.to_string())?;
        theirs.push(ipvsadm_restore(ipvsadm, &text)?);
        their_table = table(&mut ipvs).map_err(|e| e.to_string())?;
        ipvs.flush().map_err(|e| e.to_string())?;
        ours.push(binding_apply(&changes)?);
        our_table = table(&mut ipvs).map_err(|e| e.to_string())?;
    }
    ipvs.flush().map_err(|e| e.to_string())?;
    if our_table.len() != SERVICES as usize
        || our_table.iter().any(|(_, d)| d.len() != SERVERS as usize)
    {
        return Err(format!(
            "the binding's table has {} services, not {SERVICES} with {SERVERS} real servers each",
            our_table.len()
        ));
    }
    if our_table != their_table {
        return Err("the binding and ipvsadm -R built different tables".to_string());
    }
    let best = |times: &[Duration]| times.iter().min().copied().unwrap_or_default();
    let (their_best, our_best) = (best(&theirs), best(&ours));
    let ratio = our_best.as_secs_f64() / their_best.as_secs_f64();
    println!(
        "apply_1000_services: {SERVICES} services x {SERVERS} real servers ({} changes), best of {ROUNDS}",
        changes.len()
    );
    println!("  ipvsadm -R:              {their_best:>10.3?}   rounds {theirs:.3?}");
    println!("  ha-ipvs apply (batched): {our_best:>10.3?}   rounds {ours:.3?}");
    println!(
        "  ratio ha-ipvs / ipvsadm: {ratio:.3} (ipvsadm takes {:.1}x as long)",
        1.0 / ratio
    );
    if our_best > their_best {
        return Err(format!(
            "the binding ({our_best:?}) is slower than ipvsadm -R ({their_best:?})"
        ));
    }
    Ok(())
}

fn main() -> ExitCode {
    if !Path::new("/proc/net/ip_vs").exists() {
        println!("apply_1000_services: skipped, this kernel has no IPVS (it runs in the VM)");
        return ExitCode::SUCCESS;
    }
    let Some(ipvsadm) = ["/sbin/ipvsadm", "/usr/sbin/ipvsadm"]
        .into_iter()
        .find(|p| Path::new(p).exists())
    else {
        eprintln!("apply_1000_services: ipvsadm not found");
        return ExitCode::FAILURE;
    };
    match run(ipvsadm) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("apply_1000_services: {message}");
            ExitCode::FAILURE
        }
    }
}
