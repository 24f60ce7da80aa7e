//! Duplicate and replay rejection from (generation, sequence number) pairs.
//!
//! Each node numbers its messages from 1 within a generation, and bumps its
//! generation (persisted) at every start. A receiver accepts a message once:
//! a newer generation resets the window, an older one is stale, and within a
//! generation a sliding window of [`WINDOW`] sequence numbers tolerates the
//! reordering and duplication that several media cause.

/// How far behind the highest sequence number a message may arrive.
pub const WINDOW: u64 = 64;

/// Why a message was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// Already received (normal when several media carry the same message).
    Duplicate,
    /// From an older generation than the sender's current one: a replay.
    StaleGeneration,
    /// More than [`WINDOW`] behind the newest message: a replay or a very late copy.
    TooOld,
}

impl Rejection {
    /// Why, in words, for the log.
    pub fn describe(self) -> &'static str {
        match self {
            Rejection::Duplicate => "already received",
            Rejection::StaleGeneration => "from an earlier generation of the sender",
            Rejection::TooOld => "far older than the newest message received",
        }
    }
}

/// What has been received from one sender.
#[derive(Debug, Clone, Default)]
pub struct SequenceWindow {
    generation: u64,
    highest: u64,
    /// Bit i set: `highest - i` has been received.
    seen: u64,
}

impl SequenceWindow {
    /// A window that knows the sender's generation from an earlier run but no
    /// sequence numbers: older generations are rejected, this one accepted.
    pub fn with_generation(generation: u64) -> Self {
        SequenceWindow {
            generation,
            highest: 0,
            seen: 0,
        }
    }

    /// The newest generation accepted so far.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Accepts (and records) a message, or says why not. Returns
    /// `Ok(true)` when the message starts a new generation.
    pub fn accept(&mut self, generation: u64, seq: u64) -> Result<bool, Rejection> {
        if generation < self.generation {
            return Err(Rejection::StaleGeneration);
        }
        if generation > self.generation {
            *self = SequenceWindow {
                generation,
                highest: seq,
                seen: 1,
            };
            return Ok(true);
        }
        if seq > self.highest {
            let shift = seq - self.highest;
            self.seen = if shift >= WINDOW {
                0
            } else {
                self.seen << shift
            };
            self.seen |= 1;
            self.highest = seq;
            return Ok(false);
        }
        let behind = self.highest - seq;
        if behind >= WINDOW {
            return Err(Rejection::TooOld);
        }
        let bit = 1u64 << behind;
        if self.seen & bit != 0 {
            return Err(Rejection::Duplicate);
        }
        self.seen |= bit;
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn duplicates_and_old_generations_are_rejected() {
        let mut window = SequenceWindow::default();
        assert_eq!(window.accept(5, 1), Ok(true));
        assert_eq!(window.accept(5, 2), Ok(false));
        assert_eq!(window.accept(5, 2), Err(Rejection::Duplicate));
        assert_eq!(window.accept(4, 100), Err(Rejection::StaleGeneration));
        assert_eq!(window.accept(5, 200), Ok(false));
        assert_eq!(window.accept(5, 100), Err(Rejection::TooOld));
        assert_eq!(window.accept(5, 199), Ok(false));
        assert_eq!(window.accept(6, 1), Ok(true));
        assert_eq!(window.accept(5, 201), Err(Rejection::StaleGeneration));
    }

    #[test]
    fn a_remembered_generation_accepts_its_next_message_once() {
        let mut window = SequenceWindow::with_generation(9);
        assert_eq!(window.accept(8, 50), Err(Rejection::StaleGeneration));
        assert_eq!(window.accept(9, 50), Ok(false));
        assert_eq!(window.accept(9, 50), Err(Rejection::Duplicate));
    }

    proptest! {
        /// Any delivery order of any multiset of sequence numbers accepts
        /// each number at most once, and accepts every number that arrives
        /// within the window of the newest.
        #[test]
        fn each_message_is_accepted_at_most_once(seqs in proptest::collection::vec(1u64..300, 0..400)) {
            let mut window = SequenceWindow::default();
            let mut accepted = std::collections::BTreeSet::new();
            let mut highest = 0;
            for seq in seqs {
                let first_time = !accepted.contains(&seq);
                let in_window = seq + WINDOW > highest;
                match window.accept(1, seq) {
                    Ok(_) => {
                        prop_assert!(first_time);
                        accepted.insert(seq);
                        highest = highest.max(seq);
                    }
                    Err(Rejection::Duplicate) => prop_assert!(!first_time),
                    Err(Rejection::TooOld) => prop_assert!(!in_window),
                    Err(Rejection::StaleGeneration) => prop_assert!(false, "one generation only"),
                }
            }
        }
    }
}
