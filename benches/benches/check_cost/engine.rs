//! Our director's side: the `check-engine` helper (the director's check
//! engine with no IPVS; see `benches/src/bin/check-engine.rs`) running
//! in the lab host, driven over its stdin.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{ChildStdin, ChildStdout, Stdio};

use ha_benches::check_report::WindowReport;
use ha_lab::{Host, LabChild};

/// The helper, built by cargo with this benchmark.
const ENGINE: &str = env!("CARGO_BIN_EXE_check-engine");

/// A running engine; dropping it kills it.
pub struct Engine {
    child: LabChild,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
}

impl Engine {
    /// Starts the engine on `config` in `host` and waits until its jobs run.
    pub fn start(host: &Host, config: &Path) -> Result<Engine, String> {
        let mut command = host.command(ENGINE);
        command
            .arg(config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped());
        let mut child = host
            .spawn(command)
            .map_err(|e| format!("cannot start {ENGINE}: {e}"))?;
        let (Some(stdin), Some(stdout)) = (child.take_stdin(), child.take_stdout()) else {
            return Err("the engine's pipes are missing".to_string());
        };
        let mut engine = Engine {
            child,
            stdin,
            stdout: BufReader::new(stdout),
        };
        let ready = engine.line()?;
        if !ready.starts_with("ready ") {
            return Err(format!("the engine said {ready:?} instead of ready"));
        }
        Ok(engine)
    }

    /// The engine's process id (`ip netns exec` runs it in its own place).
    pub fn pid(&self) -> u32 {
        self.child.pid()
    }

    /// Opens a measuring window.
    pub fn start_window(&mut self) -> Result<(), String> {
        self.send("start")?;
        match self.line()?.as_str() {
            "started" => Ok(()),
            other => Err(format!("the engine said {other:?} instead of started")),
        }
    }

    /// Closes the window and returns what the engine saw in it.
    pub fn stop_window(&mut self) -> Result<WindowReport, String> {
        self.send("stop")?;
        let mut lines = Vec::new();
        loop {
            let line = self.line()?;
            let end = line == "end";
            lines.push(line);
            if end {
                break;
            }
        }
        WindowReport::parse(&lines).map_err(|e| e.to_string())
    }

    fn send(&mut self, command: &str) -> Result<(), String> {
        writeln!(self.stdin, "{command}")
            .and_then(|()| self.stdin.flush())
            .map_err(|e| format!("cannot talk to the engine: {e}"))
    }

    fn line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err("the engine ended (its error is above)".to_string()),
            Ok(_) => Ok(line.trim_end().to_string()),
            Err(e) => Err(format!("cannot hear the engine: {e}")),
        }
    }
}
