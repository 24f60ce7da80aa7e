//! The demo (to be written).
pub fn run() -> Result<(), String> {
    Err("demo not built yet".into())
}
