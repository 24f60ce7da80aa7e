//! The translation of the seeds' files and of hand-made cases.
