//! A node's persistent state: its UUID, its generation, its peers' generations.
//!
//! Each start bumps the generation, a counter kept here as heartbeat keeps
//! its own, so peers can tell a restarted node's messages from replays of
//! the previous run's. No clock is read: a node whose state directory was
//! lost starts again from 1, its peers answer with the generation they knew
//! it by (a generation hint), and it moves past that one (stored again
//! through [`GenerationStore::save_own_generation`]).
//! Peers' generations are stored so that replays from before our own restart
//! are rejected too. Files are replaced atomically (write, fsync, rename).

use std::collections::BTreeMap;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::driver::GenerationStore;

const GENERATION_FILE: &str = "generation";
const UUID_FILE: &str = "uuid";
const PEERS_FILE: &str = "peer-generations";

/// Errors reading or writing the state directory.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The directory or a file in it could not be used.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A file holds something other than what this program writes there.
    #[error("{path}:{line}: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The line.
        line: usize,
        /// What was expected.
        message: String,
    },
}

/// The state directory of one node instance.
#[derive(Debug)]
pub struct StateDir {
    dir: PathBuf,
    peers: Mutex<BTreeMap<String, u64>>,
}

impl StateDir {
    /// Opens (creating if needed) the directory and reads what it holds.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, StateError> {
        let dir = dir.into();
        fs::create_dir_all(&dir).map_err(|source| StateError::Io {
            path: dir.clone(),
            source,
        })?;
        let peers = read_peers(&dir.join(PEERS_FILE))?;
        Ok(StateDir {
            dir,
            peers: Mutex::new(peers),
        })
    }

    /// Bumps, stores and returns this start's generation.
    pub fn next_generation(&self) -> Result<u64, StateError> {
        let path = self.dir.join(GENERATION_FILE);
        let stored = match read_optional(&path)? {
            None => 0,
            Some(text) => text
                .trim()
                .parse::<u64>()
                .map_err(|_| StateError::Corrupt {
                    path: path.clone(),
                    line: 1,
                    message: format!("expected a generation number, found '{}'", text.trim()),
                })?,
        };
        let generation = stored.saturating_add(1);
        write_atomically(&path, format!("{generation}\n").as_bytes())?;
        Ok(generation)
    }

    /// This node's UUID, created (random) on first use.
    pub fn uuid(&self) -> Result<[u8; 16], StateError> {
        let path = self.dir.join(UUID_FILE);
        if let Some(text) = read_optional(&path)? {
            return parse_uuid(text.trim()).ok_or_else(|| StateError::Corrupt {
                path: path.clone(),
                line: 1,
                message: "expected 32 hexadecimal digits".into(),
            });
        }
        let mut uuid = [0u8; 16];
        let mut random = fs::File::open("/dev/urandom").map_err(|source| StateError::Io {
            path: "/dev/urandom".into(),
            source,
        })?;
        io::Read::read_exact(&mut random, &mut uuid).map_err(|source| StateError::Io {
            path: "/dev/urandom".into(),
            source,
        })?;
        let text: String = uuid.iter().map(|b| format!("{b:02x}")).collect();
        write_atomically(&path, format!("{text}\n").as_bytes())?;
        Ok(uuid)
    }

    /// Peers' generations as last recorded.
    pub fn peer_generations(&self) -> BTreeMap<String, u64> {
        self.peers.lock().map(|p| p.clone()).unwrap_or_default()
    }
}

impl GenerationStore for StateDir {
    fn save_own_generation(&self, generation: u64) -> io::Result<()> {
        write_atomically(
            &self.dir.join(GENERATION_FILE),
            format!("{generation}\n").as_bytes(),
        )
        .map_err(|e| match e {
            StateError::Io { source, .. } => source,
            other => io::Error::other(other.to_string()),
        })
    }

    fn save_peer_generation(&self, node: &str, generation: u64) -> io::Result<()> {
        let mut peers = self
            .peers
            .lock()
            .map_err(|_| io::Error::other("peer generation table poisoned"))?;
        if peers.get(node).is_some_and(|&g| g >= generation) {
            return Ok(());
        }
        peers.insert(node.to_string(), generation);
        let text: String = peers.iter().map(|(n, g)| format!("{n} {g}\n")).collect();
        write_atomically(&self.dir.join(PEERS_FILE), text.as_bytes()).map_err(|e| match e {
            StateError::Io { source, .. } => source,
            other => io::Error::other(other.to_string()),
        })
    }
}

fn parse_uuid(text: &str) -> Option<[u8; 16]> {
    if text.len() != 32 {
        return None;
    }
    let mut uuid = [0u8; 16];
    for (i, byte) in uuid.iter_mut().enumerate() {
        *byte = u8::from_str_radix(text.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(uuid)
}

fn read_optional(path: &Path) -> Result<Option<String>, StateError> {
    match fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(StateError::Io {
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn read_peers(path: &Path) -> Result<BTreeMap<String, u64>, StateError> {
    let mut peers = BTreeMap::new();
    let Some(text) = read_optional(path)? else {
        return Ok(peers);
    };
    for (i, line) in text.lines().enumerate() {
        let mut words = line.split_whitespace();
        let parsed = match (
            words.next(),
            words.next().map(str::parse::<u64>),
            words.next(),
        ) {
            (Some(node), Some(Ok(generation)), None) => Some((node.to_string(), generation)),
            (None, _, _) => continue,
            _ => None,
        };
        let (node, generation) = parsed.ok_or_else(|| StateError::Corrupt {
            path: path.to_path_buf(),
            line: i + 1,
            message: "expected 'NODE GENERATION'".into(),
        })?;
        peers.insert(node, generation);
    }
    Ok(peers)
}

fn write_atomically(path: &Path, contents: &[u8]) -> Result<(), StateError> {
    let io_error = |source| StateError::Io {
        path: path.to_path_buf(),
        source,
    };
    let temporary = path.with_extension("new");
    let mut file = fs::File::create(&temporary).map_err(io_error)?;
    file.write_all(contents).map_err(io_error)?;
    file.sync_all().map_err(io_error)?;
    fs::rename(&temporary, path).map_err(io_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("ha-state-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn generations_grow_across_opens_and_uuid_is_stable() {
        let dir = scratch("gen");
        let first = StateDir::open(&dir).expect("open");
        let g1 = first.next_generation().expect("generation");
        let uuid = first.uuid().expect("uuid");
        let second = StateDir::open(&dir).expect("reopen");
        let g2 = second.next_generation().expect("generation");
        assert!(g2 > g1, "{g2} after {g1}");
        assert_eq!(second.uuid().expect("uuid"), uuid);
        fs::remove_dir_all(&dir).expect("cleanup");
    }

    #[test]
    fn peer_generations_persist_and_never_go_back() {
        let dir = scratch("peers");
        let state = StateDir::open(&dir).expect("open");
        state.save_peer_generation("b", 7).expect("save");
        state.save_peer_generation("b", 5).expect("save");
        let reopened = StateDir::open(&dir).expect("reopen");
        assert_eq!(reopened.peer_generations().get("b"), Some(&7));
        fs::write(dir.join(PEERS_FILE), "b seven\n").expect("corrupt");
        let error = StateDir::open(&dir).expect_err("corrupt file");
        assert!(error
            .to_string()
            .ends_with("peer-generations:1: expected 'NODE GENERATION'"));
        fs::remove_dir_all(&dir).expect("cleanup");
    }
}
